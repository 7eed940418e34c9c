"""Self-service in a real headless Chromium: a staff member acknowledges their clauses and appeals a bonus
line on /me, HR accepts the appeal with an override on /appeals, and the line then shows corrected — at a
desktop width and a phone width (390 px), in English and Chinese, with no sideways scrolling.

Screenshots are kept as test artifacts (``PERFRULES_TEST_ARTIFACTS``, default test-artifacts/); the English
desktop and the Chinese phone ones also refresh docs/img/."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.web.test_browser import ARTIFACTS, DOCS_IMG, _sign_in, browser, server  # noqa: F401  (the shared fixtures)

WIDTHS = {"desktop": 1400, "phone": 390}
TEXTS = {
    "en": {"corrected": "corrected by HR", "accepted": "accepted", "ack": "Acknowledged"},
    "zh-CN": {"corrected": "已由人事更正", "accepted": "已接受", "ack": "已确认"},
}
# the screenshots of docs/dashboard.md: (locale, size) -> {page: file in docs/img}
DOCS = {
    ("en", "desktop"): {"me": "me.png", "appeals": "appeals.png", "acknowledgements": "acknowledgements.png"},
    ("zh-CN", "phone"): {"me": "me-phone.png"},
}


def _artifacts() -> Path:
    folder = ARTIFACTS / "selfservice"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _no_sideways_scroll(page, where: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    inner = page.evaluate("window.innerWidth")
    assert width <= inner, f"{where}: the page is {width} px wide in a {inner} px window"


def _shoot(page, folder: Path, name: str, docs: dict[str, str]) -> None:
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
    shown = docs.get(name.split("-")[0])
    if shown is not None and DOCS_IMG.is_dir():
        page.screenshot(path=str(DOCS_IMG / shown), full_page=True)


@pytest.mark.parametrize("size", list(WIDTHS))
@pytest.mark.parametrize("locale", list(TEXTS))
def test_staff_acknowledge_and_appeal_hr_accepts(server, browser, tmp_path, locale, size):  # noqa: F811
    folder, words, docs = _artifacts(), TEXTS[locale], DOCS.get((locale, size), {})
    tag = f"{locale}-{size}"
    wang = _sign_in(browser, server, "wang", locale=locale, width=WIDTHS[size])
    assert wang.url.endswith("/me")
    _no_sideways_scroll(wang, f"/me {tag}")
    wang.click("#acknowledge button")
    wang.wait_for_load_state("networkidle")
    assert words["ack"] in wang.inner_text("#ack-state")

    line = wang.locator("article.line").first
    line_id = line.get_attribute("id")
    line.locator("details.appeal-form summary").click()
    line.locator("textarea[name=reason]").fill("ERP was down on the due day; the list was ready.")
    wang.locator(f"#{line_id} details.appeal-form").screenshot(path=str(folder / f"appeal-form-{tag}.png"))
    line.locator("form button[type=submit]").click()
    wang.wait_for_load_state("networkidle")
    assert wang.locator("#me-done").count() == 1
    assert "ERP was down" in wang.inner_text("#my-appeals")
    _no_sideways_scroll(wang, f"/me after appealing {tag}")

    hr = _sign_in(browser, server, "hr", locale=locale, width=WIDTHS[size])
    hr.goto(f"{server}/acknowledgements")
    _no_sideways_scroll(hr, f"/acknowledgements {tag}")
    assert hr.locator("#ack-E2.ack-done").count() == 1 and hr.locator("#ack-E3.ack-missing").count() == 1
    _shoot(hr, folder, f"acknowledgements-{tag}", docs)
    hr.goto(f"{server}/appeals")
    _no_sideways_scroll(hr, f"/appeals {tag}")
    appeal = hr.locator("article.appeal.state-open").first
    assert "ERP was down" in appeal.inner_text()
    _shoot(hr, folder, f"appeals-open-{tag}", docs)  # docs/img: the decision forms
    accept = appeal.locator("form.accept")
    accept.locator("input[value=override]").check()
    accept.locator("input[name=amount]").fill("-500")
    accept.locator("textarea[name=reason]").fill("Outage confirmed by IT: half the deduction stands.")
    accept.locator("button[type=submit]").click()
    hr.wait_for_load_state("networkidle")
    assert hr.locator("#appeals-done").count() == 1
    decided = hr.locator("article.appeal").first
    assert words["accepted"] in decided.inner_text() and "500.00" in decided.inner_text()
    _shoot(hr, folder, f"appeals-decided-{tag}", {})

    wang.goto(f"{server}/me")
    corrected = wang.locator(f"#{line_id}")
    assert words["corrected"] in corrected.inner_text() and "500.00" in corrected.inner_text()
    corrected.locator("details.explain summary").click()
    assert "override to -500.00" in corrected.locator("details.explain pre").inner_text()
    _no_sideways_scroll(wang, f"/me corrected {tag}")
    _shoot(wang, folder, f"me-{tag}", docs)
