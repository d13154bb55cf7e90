"""The preview counts members per company before it looks up owners; the save builds
every row. For any selection, owner mode and choice of members, what the preview
announces is exactly what the save then creates."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from demo.factories import (
    AssociateFactory,
    CompanyFactory,
    PersonFactory,
    SelectionMemberFactory,
    UserGroupFactory,
)
from followups.models import FollowUp, OwnerMode, SpreadMethod
from followups.services import Scope, Settings, followups_generate, followups_preview
from tests.helpers import rolled_back

pytestmark = pytest.mark.django_db

EXAMPLES = settings(
    max_examples=30,
    deadline=None,
    database=None,  # no .hypothesis/ folder in the working tree
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

CONTACTS = ("none", "eva", "tor", "gone", "gone_login")

# A member: a company only, a person at a company, or a person with no company; companies
# and company-less persons pick one of the contacts above.
members = st.lists(
    st.one_of(
        st.tuples(st.just("company"), st.integers(0, 3)),
        st.tuples(st.just("person"), st.integers(0, 3)),
        st.tuples(st.just("alone"), st.sampled_from(CONTACTS)),
    ),
    max_size=14,
)


@EXAMPLES
@given(
    spec=members,
    company_contacts=st.lists(st.sampled_from(CONTACTS), min_size=4, max_size=4),
    owner_mode=st.sampled_from(
        [OwnerMode.MINE, OwnerMode.OTHER, OwnerMode.OUR_CONTACT, OwnerMode.GROUP]
    ),
    one_per_company=st.booleans(),
    pick=st.one_of(st.none(), st.lists(st.booleans(), min_size=14, max_size=14)),
    spread_method=st.sampled_from(SpreadMethod.values),
    loads=st.lists(st.integers(0, 6), min_size=3, max_size=3),
    spread_days=st.one_of(st.none(), st.integers(1, 4)),
)
def test_the_preview_announces_exactly_what_the_save_creates(
    selection,
    manager,
    call_type,
    spec,
    company_contacts,
    owner_mode,
    one_per_company,
    pick,
    spread_method,
    loads,
    spread_days,
):
    with rolled_back():
        contacts = {
            "none": None,
            "eva": AssociateFactory(),
            "tor": AssociateFactory(),
            "gone": AssociateFactory(active=False),
            "gone_login": AssociateFactory(user__is_active=False),
        }
        companies = [CompanyFactory(our_contact=contacts[c]) for c in company_contacts]
        added = []
        for kind, value in spec:
            if kind == "company":
                company = companies[value]
                if selection.members.filter(company=company, person=None).exists():
                    continue
                added.append(
                    SelectionMemberFactory(selection=selection, company=company, person=None)
                )
            elif kind == "person":
                person = PersonFactory(company=companies[value])
                added.append(SelectionMemberFactory(selection=selection, person=person))
            else:
                person = PersonFactory(company=None, our_contact=contacts[value])
                added.append(SelectionMemberFactory(selection=selection, person=person))
        member_ids = (
            None if pick is None else [m.pk for m, on in zip(added, pick, strict=False) if on]
        )
        other = contacts["tor"] if owner_mode == OwnerMode.OTHER else None
        # A user group of three who may receive follow-ups (Eva, Tor and one more), with
        # some open follow-ups each, and the two who may not.
        team = UserGroupFactory()
        sharing = [contacts["eva"], contacts["tor"], AssociateFactory()]
        for associate in (*sharing, contacts["gone"], contacts["gone_login"]):
            associate.other_groups.add(team)
        for associate, load in zip(sharing, loads, strict=True):
            for _ in range(load):
                FollowUp.objects.create(
                    type=call_type,
                    start_date=date(2026, 1, 5),
                    description="Open",
                    owner=associate,
                    created_by=associate,
                )
        group = team if owner_mode == OwnerMode.GROUP else None
        before = Counter(
            FollowUp.objects.filter(completed=False).values_list("owner_id", flat=True)
        )

        preview = followups_preview(
            selection=selection,
            creator=manager,
            scope=Scope(
                owner_mode=owner_mode,
                owner_associate=other,
                owner_group=group,
                spread_method=spread_method,
                one_per_company=one_per_company,
                member_ids=member_ids,
            ),
        )
        generation, _ = followups_generate(
            selection=selection,
            creator=manager,
            scope=Scope(
                one_per_company=one_per_company,
                owner_mode=owner_mode,
                owner_associate=other,
                owner_group=group,
                spread_method=spread_method,
                member_ids=member_ids,
            ),
            settings=Settings(
                type=call_type,
                start_date=date(2026, 3, 2),
                description="Spring offer",
                spread_days=spread_days,
            ),
            key=uuid.uuid4(),
        )

        created = FollowUp.objects.filter(generation=generation)
        owners = Counter(created.values_list("owner_id", flat=True))
        assert preview.followups == generation.created_count == sum(owners.values())
        keys = {(f.company_id, None if f.company_id else f.person_id) for f in created}
        assert preview.companies == len(keys)
        shown = [(share.associate.pk, share.count) for share in preview.owners]
        ranked = sorted(owners.items(), key=lambda item: (-item[1], item[0]))
        assert shown == ranked[: len(shown)]
        assert len(shown) == min(len(owners), 5)
        assert preview.other_owners == len(owners) - len(shown)
        assert preview.other_owners_followups == sum(count for _, count in ranked[len(shown) :])
        why = Counter(_fallback(f) for f in created) if owner_mode == OwnerMode.OUR_CONTACT else {}
        assert preview.fallback_no_contact == why.get("no contact", 0)
        assert preview.fallback_inactive == why.get("inactive", 0)
        if owner_mode == OwnerMode.GROUP:
            by_id = sorted(sharing, key=lambda a: a.pk)
            assert [row.associate.pk for row in preview.spread] == [a.pk for a in by_id]
            assert [row.count for row in preview.spread] == [owners.get(a.pk, 0) for a in by_id]
            opened = Counter(
                FollowUp.objects.filter(completed=False).values_list("owner_id", flat=True)
            )
            if spread_method == SpreadMethod.BY_LOAD:  # open follow-ups before and after
                assert [(row.open_before, row.open_after) for row in preview.spread] == [
                    (before[a.pk], opened[a.pk]) for a in by_id
                ]
            for unit_owners in _owners_per_unit(created).values():
                assert len(unit_owners) == 1  # a company is never split


def _owners_per_unit(created) -> dict:
    owners: dict = {}
    for f in created:
        owners.setdefault((f.company_id, None if f.company_id else f.person_id), set()).add(
            f.owner_id
        )
    return owners


def _fallback(followup) -> str | None:
    """Why this follow-up went to the creator in "our contact" mode, if it did."""
    holder = followup.company or followup.person
    contact = holder.our_contact
    if contact is None:
        return "no contact"
    if not (contact.active and contact.user.is_active):
        return "inactive"
    return None
