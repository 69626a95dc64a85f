"""
Keyboard-only use of the demo (WCAG 2.1.1, 2.4.1, 2.4.3, 2.4.7): through
the sign-in, the dashboard and the grant form with no mouse. On every page
visited, Tab reaches every control in the page's order and each one shows
a visible focus; the skip link appears when focused and moves the focus
to the main content; forms submit with Enter.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ircc_account.demo import DemoSite
from ircc_account.demo._seed import OFFICE_ID

from .conftest import Person

#: Every control Tab should reach, in document order: links, buttons and
#: fields that are shown, and of each radio group only the checked radio
#: (or the first, when none is checked), as browsers do.
_CONTROLS = """
() => {
  const seen = new Set();
  const shown = (el) => el.getClientRects().length > 0
    && getComputedStyle(el).visibility !== "hidden";
  const wanted = [...document.querySelectorAll(
    "a[href], button, input:not([type=hidden]), select, textarea, [tabindex]"
  )].filter((el) => !el.disabled && el.tabIndex >= 0 && (shown(el) || el.id === "skip-link"));
  return wanted.filter((el) => {
    if (el.type !== "radio") return true;
    const group = [...el.form.querySelectorAll(`input[type=radio][name="${el.name}"]`)];
    const chosen = group.find((r) => r.checked) || group[0];
    return el === chosen;
  }).map((el) => el.id || el.outerHTML.slice(0, 80));
}
"""

#: The focused element: its id, whether its focus shows (an outline or a
#: box shadow), and whether it lies inside the window.
_FOCUSED = """
() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  const shadow = style.boxShadow && style.boxShadow !== "none";
  const box = el.getBoundingClientRect();
  return {
    id: el.id || el.outerHTML.slice(0, 80),
    visible: Boolean(outline || shadow),
    inside: box.right > 0 && box.bottom > 0 && box.width > 0 && box.height > 0,
  };
}
"""


def _focused(person: Person) -> dict[str, Any] | None:
    focused: dict[str, Any] | None = person.page.evaluate(_FOCUSED)
    return focused


#: Put the focus before everything, as when the page has just loaded: on a
#: mark that is not itself in the Tab order, at the start of the body.
_TOP = """
() => {
  let mark = document.getElementById("keyboard-test-top");
  if (!mark) {
    mark = document.createElement("span");
    mark.id = "keyboard-test-top";
    mark.tabIndex = -1;
    document.body.prepend(mark);
  }
  mark.focus();
}
"""


def _from_the_top(person: Person) -> None:
    person.page.evaluate(_TOP)


def tab_order(person: Person) -> list[str]:
    """
    Tab from the top of the page to its last control; check each focus
    shows and is on screen; give the ids in the order reached.
    """
    expected: list[str] = person.page.evaluate(_CONTROLS)
    _from_the_top(person)
    reached: list[str] = []
    # A date field takes one Tab per part (year, month, day): count it once.
    for _ in range(4 * len(expected)):
        if len(reached) == len(expected):
            break
        person.page.keyboard.press("Tab")
        focused = _focused(person)
        assert focused is not None, f"Tab left the page after {reached} on {person.page.url}"
        assert focused["visible"], f"{focused['id']} has no visible focus on {person.page.url}"
        assert focused["inside"], f"{focused['id']} is focused off screen on {person.page.url}"
        if not reached or reached[-1] != focused["id"]:
            reached.append(focused["id"])
    assert reached == expected, f"Tab order on {person.page.url}"
    return reached


def tab_to(person: Person, element_id: str) -> None:
    """Press Tab until the element *element_id* has the focus (from the top)."""
    _from_the_top(person)
    for _ in range(200):
        person.page.keyboard.press("Tab")
        focused = _focused(person)
        if focused is not None and focused["id"] == element_id:
            return
    raise AssertionError(f"Tab never reached #{element_id} on {person.page.url}")


def test_keyboard_only_through_sign_in_dashboard_and_the_grant_form(
    demo: DemoSite, people: Callable[..., Person]
) -> None:
    """A client with only a keyboard skips to the content, signs in at the provider, opens an application from the dashboard, and authorizes an office through the grant form, every control reached in order with its focus visible."""
    ahmed = people("ahmed")
    ahmed.open("/")

    # The skip link is first, shows itself when focused, and moves the focus.
    ahmed.page.keyboard.press("Tab")
    first = _focused(ahmed)
    assert first == {"id": "skip-link", "visible": True, "inside": True}
    ahmed.shot("keyboard-skip-link")
    ahmed.page.keyboard.press("Enter")
    assert ahmed.page.evaluate("document.activeElement.id") == "main"
    ahmed.page.keyboard.press("Tab")
    assert ahmed.page.evaluate("document.activeElement.id") == "sign-in"

    order = tab_order(ahmed)
    assert order[:3] == ["skip-link", "site-name", "language-toggle"]
    assert "sign-in" in order and "sign-in-as-ahmed" in order

    # Sign in with the keyboard, at the provider's page too.
    tab_to(ahmed, "sign-in")
    ahmed.press("Enter")
    assert ahmed.page.url.startswith(demo.provider_url)
    order = tab_order(ahmed)
    assert order[0] == "devidp-language" and "acr" in order and "user-ahmed" in order
    tab_to(ahmed, "user-ahmed")
    ahmed.press("Enter")
    assert ahmed.path == "/account"

    # The dashboard: every control in order; an application opens with Enter.
    order = tab_order(ahmed)
    assert order.index("skip-link") == 0
    assert order.index("nav-dashboard") < order.index("item-link-app-1005")
    assert "sign-out" in order
    ahmed.shot("keyboard-dashboard")
    tab_to(ahmed, "item-link-app-1005")
    ahmed.press("Enter")
    assert ahmed.heading() == "Citizenship"
    tab_to(ahmed, "nav-representatives")
    ahmed.press("Enter")
    assert ahmed.path == "/account/representatives"

    # The grant form: radios with the arrow keys, boxes with Space, Enter to send.
    order = tab_order(ahmed)
    fields = ["grantee_kind-representative", "grantee_id", "access_group"]
    assert [order.index(f) for f in fields] == sorted(order.index(f) for f in fields)
    assert order.index("access_group") < order.index("give-submit")
    tab_to(ahmed, "grantee_kind-representative")
    ahmed.page.keyboard.press("ArrowDown")
    assert ahmed.page.is_checked("#grantee_kind-office")
    ahmed.page.keyboard.press("Tab")
    ahmed.page.keyboard.type(OFFICE_ID)
    ahmed.page.keyboard.press("Tab")
    ahmed.page.keyboard.type("riding-east")
    ahmed.page.keyboard.press("Tab")
    assert ahmed.page.evaluate("document.activeElement.id") == "scope_view_status"
    ahmed.page.keyboard.press("Space")
    assert ahmed.page.is_checked("#scope_view_status")
    ahmed.shot("keyboard-grant-form")
    ahmed.page.keyboard.press("Shift+Tab")
    assert ahmed.page.evaluate("document.activeElement.id") == "access_group"
    ahmed.press("Enter")
    assert "can now act for you" in ahmed.text("#notice")
    assert ahmed.page.locator("#grants-active tbody tr").filter(has_text="riding-east").count()

    # A mistake sent with Enter comes back with the error summary reachable.
    tab_to(ahmed, "grantee_id")
    ahmed.press("Enter", status=400)
    assert ahmed.has("#error-summary")
    order = tab_order(ahmed)
    assert order.index("skip-link") == 0
