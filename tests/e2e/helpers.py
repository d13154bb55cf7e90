"""Helpers shared by the browser tests of the Generate follow-ups dialog."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

# The Task menu's two choices (templates/selections/selection_detail.html).
TICKED_CHOICE = re.compile(r"^Create follow-ups for the [\d,]+ ticked members?$")
ALL_CHOICE = re.compile(r"^Create follow-ups for (all members \([\d,]+\)|its one member)$")


def dialog(page: Page) -> Locator:
    """The open Generate follow-ups dialog (whatever the language)."""
    return page.locator("dialog[data-modal]#generate-dialog")


def open_task_menu(page: Page) -> Locator:
    """Click Task on the Company/person tab; returns the menu (details[data-menu])."""
    menu = page.locator("details[data-menu]")
    menu.locator("summary").click()
    expect(menu).to_have_attribute("open", "")
    return menu


def open_dialog(page: Page, live_url: str, selection, *, selected_only: bool = False) -> Locator:
    """Open the selection, Task, Create follow-ups for the ticked members (selected_only)
    or for all members: the dialog."""
    if f"/selections/{selection.pk}/" not in page.url:
        page.goto(f"{live_url}/selections/{selection.pk}/")
    expect(page.get_by_role("tab", name="Company/person")).to_have_attribute(
        "aria-selected", "true"
    )
    menu = open_task_menu(page)
    menu.get_by_role("button", name=TICKED_CHOICE if selected_only else ALL_CHOICE).click()
    box = dialog(page)
    expect(box).to_be_visible()
    expect(box.get_by_role("heading", name="Generate follow-ups")).to_be_visible()
    return box


def pick_project(box: Locator, typed: str, name: str) -> None:
    """Type the start of a project's name and click it in the suggestions."""
    combo = box.get_by_role("combobox", name="Project", exact=True)
    combo.press_sequentially(typed)
    listbox = box.get_by_role("listbox")
    expect(listbox).to_be_visible()
    expect(combo).to_have_attribute("aria-expanded", "true")
    listbox.get_by_role("option", name=name).click()
    expect(listbox).to_be_hidden()
    expect(combo).to_have_value(name)


def preview(box: Locator) -> Locator:
    return box.locator("#generate-preview")


def counter(page: Page, kind: str) -> Locator:
    """A nav counter badge: kind is "open", "today" or "overdue"."""
    return page.locator(f"#counters .{kind}-badge")


def mark_counters(page: Page) -> None:
    """Tag the current counters element: a refresh (outerHTML swap) drops the tag."""
    page.locator("#counters").evaluate("el => el.setAttribute('data-e2e-old', '1')")


def expect_counters_refreshed(page: Page) -> None:
    expect(page.locator("#counters")).not_to_have_attribute("data-e2e-old", "1")


def tab_to(page: Page, target: Locator, *, limit: int = 60, key: str = "Tab") -> None:
    """Press Tab until `target` has the focus (keyboard only)."""
    for _ in range(limit):
        if target.evaluate("el => el === document.activeElement"):
            return
        page.keyboard.press(key)
    raise AssertionError(f"{key} never reached {target}")


def focused_in(locator: Locator) -> bool:
    return locator.evaluate("el => el.contains(document.activeElement)")


def fit_dialog_in_viewport(page: Page) -> None:
    """Make the viewport tall enough to show the whole dialog (it scrolls inside a 96vh
    box otherwise), so a screenshot shows every field, the preview and the buttons."""
    needed = dialog(page).evaluate("d => d.scrollHeight")
    size = page.viewport_size or {"width": 1280, "height": 720}
    height = max(size["height"], int(needed / 0.96) + 24)
    page.set_viewport_size({"width": size["width"], "height": height})
    expect(dialog(page)).to_be_visible()


def settle(page: Page) -> None:
    """Wait until htmx has finished with every request it made: htmx gives the element
    that made a request (and its indicator) the htmx-request class until the answer has
    been swapped in."""
    page.wait_for_function("() => !document.querySelector('.htmx-request')")


def next_frames(page: Page) -> None:
    """Wait until the page has drawn twice: the handlers of what was just pressed or
    clicked have run, and what they changed is on the screen."""
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
