"""Spread across a user group, in a real browser: the sales manager picks the group and
"by open load", sees each associate's share in the preview, spreads the start over three
working days and saves; on a laptop and on a phone."""

from __future__ import annotations

import os
import shutil
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from demo.factories import FollowUpFactory
from followups.models import FollowUp, FollowUpType, Generation, OwnerMode, SpreadMethod

from .helpers import open_dialog, preview
from .test_layout import in_view, sideways_overflow

SIZES = {"laptop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture(scope="session")
def shots(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("spread")


# The ones kept in docs/screenshots/ (SCREENSHOTS=1); every one goes to the temporary folder.
DOC_SHOTS = {"spread-dialog-laptop", "spread-dialog-phone", "spread-start-phone"}


def photograph(page: Page, shots: Path, name: str) -> None:
    path = shots / f"{name}.png"
    page.screenshot(path=str(path))
    print(f"screenshot: {path}")
    if os.environ.get("SCREENSHOTS") == "1" and name in DOC_SHOTS:
        DOCS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS / path.name)


@pytest.mark.parametrize("size", ["laptop", "phone"])
def test_manager_spreads_the_followups_across_a_user_group(
    crm_world, logged_in_page, live_url, shots, size
):
    w = crm_world  # Salg Oslo: anna (manager), olav (salesperson), siri (colleague)
    today = timezone.localdate()
    for _ in range(2):  # olav is busier than the others
        FollowUpFactory(
            owner=w.salesperson,
            type=FollowUpType.objects.get(name="To-do"),
            start_date=today,
            description="Allerede åpen",
        )
    page = logged_in_page(w.manager)
    page.set_viewport_size(SIZES[size])
    box = open_dialog(page, live_url, w.selection)
    box.get_by_label("Description", exact=True).fill("Følg opp vårkampanjen")

    # Choosing the group chooses the owner option; the preview shows the split.
    box.get_by_label("User group", exact=True).select_option(label="Salg Oslo")
    expect(box.get_by_label("Spread across a user group")).to_be_checked()
    box.get_by_label("By open load (fewer open follow-ups get more)").check()
    spread_days = box.get_by_label("Spread the start over", exact=True)
    spread_days.fill("3")
    shown = preview(box)
    expect(shown).to_contain_text("Starts spread over 3 working days")
    box.get_by_label("Start", exact=True).scroll_into_view_if_needed()
    assert not sideways_overflow(page), sideways_overflow(page)
    photograph(page, shots, f"spread-start-{size}")
    expect(shown).to_contain_text("Shared by open load")
    expect(shown).to_contain_text("Starts spread over 3 working days")
    table = shown.locator("table.preview-spread")
    expect(table.locator("tbody tr")).to_have_count(3)
    expect(table).to_contain_text("You")
    expect(table).to_contain_text("Siri Berg")
    expect(table.get_by_role("row", name=w.salesperson.name)).to_contain_text("2 →")
    new = {
        row.locator("th").inner_text(): int(row.locator("td").first.inner_text())
        for row in table.locator("tbody tr").all()
    }
    assert sum(new.values()) == 5
    assert new[w.salesperson.name] <= min(new["You"], new["Siri Berg"])  # the busiest gets least

    assert not sideways_overflow(page), sideways_overflow(page)
    shown.scroll_into_view_if_needed()
    in_view(page, "Save")
    photograph(page, shots, f"spread-dialog-{size}")

    box.get_by_role("button", name="Save").click()
    expect(page.locator(".messages")).to_contain_text(
        "Created 5 follow-ups across the user group Salg Oslo"
    )
    expect(box).to_be_hidden()
    generation = Generation.objects.get()
    assert generation.owner_mode == OwnerMode.GROUP
    assert generation.spread_method == SpreadMethod.BY_LOAD
    created = FollowUp.objects.filter(generation=generation)
    owners = Counter(created.values_list("owner__user__username", flat=True))
    names = {"You": "anna", "Siri Berg": "siri", w.salesperson.name: "olav"}
    assert owners == {names[name]: n for name, n in new.items() if n}
    days = set(created.values_list("start_date", flat=True))
    assert len(days) > 1 and all(today <= d <= today + timedelta(days=7) for d in days)
    photograph(page, shots, f"spread-saved-{size}")
