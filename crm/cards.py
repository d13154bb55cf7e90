"""The tabs of the company and person cards.

The cards are crm's; what their tabs show belongs to the apps built on crm, which crm
does not import. Such an app registers its tab from its AppConfig.ready(): a key (the
tab's id and its `?tab=` value), a label, an order (lower comes first) and a function
that renders the tab's content for a company or a person and the request. The card
shows every registered tab and renders only the one selected (`?tab=<key>`, else the
first), so a tab costs its queries only when it is shown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise

from .access import CrmRequest
from .models import Company, Person

# The tab's content, HTML that is safe to show as it is (render_to_string's).
Render = Callable[[CrmRequest, Company | Person], str]


@dataclass(frozen=True)
class CardTab:
    key: str
    label: str | Promise
    order: int
    render: Render


@dataclass(frozen=True)
class ShownTab:
    """A tab as the card shows it: its content only when it is the selected one."""

    key: str
    label: str | Promise
    html: str | None = None

    @property
    def selected(self) -> bool:
        return self.html is not None


_tabs: dict[str, CardTab] = {}


def register(*, key: str, label: str | Promise, order: int, render: Render) -> None:
    """Adds a tab to both cards; the same key again replaces the tab."""
    _tabs[key] = CardTab(key=key, label=label, order=order, render=render)


def registered() -> list[CardTab]:
    return sorted(_tabs.values(), key=lambda tab: (tab.order, tab.key))


def card_tabs(
    request: CrmRequest, card: Company | Person
) -> tuple[list[ShownTab], ShownTab | None]:
    """Every tab of the card, and the selected one with its content (None: no tab)."""
    tabs = registered()
    if not tabs:
        return [], None
    asked = request.GET.get("tab")
    selected = next((tab for tab in tabs if tab.key == asked), tabs[0])
    shown = [
        ShownTab(tab.key, tab.label, tab.render(request, card) if tab is selected else None)
        for tab in tabs
    ]
    return shown, next(tab for tab in shown if tab.selected)
