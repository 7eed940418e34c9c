"""The rule editor in a real headless Chromium (Debian's): an HR user makes a typo, sees the inline error with
its did-you-mean text and fixes it, previews the clauses and the what-if, saves and submits; a second HR
user approves and publishes; the running service then reports the new rule version from its effective
date; staff and manager sessions reach none of it. Screenshots at 1400 and 390 px go to docs/img."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from perfrules.engine.settings import load_settings
from perfrules.engine.web.app import create_app

from tests.web import test_browser as base
from tests.web.support import NOW
from tests.web.test_rules_editor import RULE, add_hr, new_version

browser = base.browser  # the Chromium fixture of the dashboard's browser tests
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def folder(tmp_path) -> Path:
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    return rules


@pytest.fixture
def server(company, database_url, folder):
    """The app over a copy of the rules folder, served by uvicorn on a free loopback port."""
    add_hr(company)
    settings = load_settings(
        {"database_url": database_url, "rules_dir": str(folder)}, environ={"PERFRULES_DEFAULT_LOCALE": "en"}
    )
    with base._serving(create_app(settings, db=company, clock=lambda: NOW)) as url:
        yield url


def _sign_in(browser, server: str, username: str, width: int = 1400):
    page = base._sign_in(browser, server, username)
    page.set_viewport_size({"width": width, "height": 900})
    return page


def _edit(page, find: str, replace: str, *, occurrence: int = 0, keep: bool = False) -> None:
    """Select ``find`` (its n-th occurrence) in the editor and type ``replace`` over it, as a person would
    (``keep``: put the cursor before it and type ``replace`` there)."""
    page.evaluate(
        """([find, n, keep]) => {
            const view = window.perfrulesEditorView, text = view.state.doc.toString();
            let at = -1;
            for (let i = 0; i <= n; i++) at = text.indexOf(find, at + 1);
            if (at < 0) throw new Error("not in the editor: " + find);
            view.dispatch({ selection: { anchor: at, head: keep ? at : at + find.length }, scrollIntoView: true });
            view.focus();
        }""",
        [find, occurrence, keep],
    )
    page.wait_for_timeout(150)  # let the editor put the browser's selection where its own is
    page.keyboard.insert_text(replace) if "\n" in replace else page.keyboard.type(replace)


def _paste(page, before: str, text: str) -> None:
    """Paste ``text`` just before ``before`` (as the editor's own paste does: one change, no re-indenting)."""
    page.evaluate(
        """([before, text]) => {
            const view = window.perfrulesEditorView, at = view.state.doc.toString().indexOf(before);
            if (at < 0) throw new Error("not in the editor: " + before);
            view.dispatch({ changes: { from: at, insert: text }, userEvent: "input.paste", scrollIntoView: true });
        }""",
        [before, text],
    )


def _checked(page, state: str) -> None:
    try:
        page.wait_for_selector(f"#rules-editor[data-checked='{state}']", timeout=15000)
    except Exception:
        text = page.evaluate("window.perfrulesEditorView.state.doc.toString()")
        raise AssertionError(f"not {state}: {page.inner_text('#diagnostics')}\n{text[:1500]}") from None


def test_hr_edits_previews_and_a_second_hr_publishes(server, browser, folder, tmp_path):
    original = (folder / "purchasing.yaml").read_text(encoding="utf-8")
    page = _sign_in(browser, server, "hr")
    page.goto(f"{server}/rules?lang=en")
    assert "purchasing.slow_mover_list" in page.inner_text("#in-force")
    page.click("tr[data-file='purchasing.yaml'] a.button")
    page.wait_for_selector(".cm-editor .cm-content")
    assert page.locator("#rule-text").is_hidden()  # the textarea gave way to CodeMirror

    # the typo: an inline error at its line, with the did-you-mean text
    _edit(page, "threshold", "treshold")
    _checked(page, "errors")
    page.wait_for_selector(".cm-lintRange-error")
    assert "did you mean 'threshold'?" in page.inner_text("#diagnostics")
    page.hover(".cm-lintRange-error")
    tooltip = page.wait_for_selector(".cm-tooltip-lint")
    assert "unknown key 'treshold' (did you mean 'threshold'?)" in tooltip.inner_text()
    assert page.locator(".cm-gutter-lint .cm-lint-marker-error").count() == 1
    page.keyboard.press("Escape")  # the completion list goes; the error's tooltip stays under the pointer
    page.screenshot(path=str(tmp_path / "typo.png"))
    if base.DOCS_IMG.is_dir():
        page.screenshot(path=str(base.DOCS_IMG / "rules-editor.png"))

    _edit(page, "treshold", "threshold")
    _checked(page, "ok")
    assert page.locator(".cm-lintRange-error").count() == 0

    # completion offers the catalogue's KPI ids after 'kpi: '
    _edit(page, "slow_mover_list_timeliness", "slow_mover_list_ti")
    option = page.wait_for_selector(".cm-tooltip-autocomplete li:has-text('slow_mover_list_timeliness')")
    assert "Slow-mover list timeliness" in option.inner_text() or "滞销" in option.inner_text()
    page.wait_for_timeout(200)  # CodeMirror ignores Enter on a list that has only just opened
    page.keyboard.press("Enter")
    _checked(page, "ok")
    assert page.evaluate("window.perfrulesEditorView.state.doc.toString()") == original

    # the change itself: version 1 ends on 31 March, version 2 (15%) starts on 1 April
    target = new_version(original)
    second_start = target.index(RULE, target.index(RULE) + 1)
    added = target[second_start : target.index("  - id: purchasing.disposal_tracking")]
    anchor = "  - id: purchasing.disposal_tracking"
    _paste(page, anchor, added)
    _edit(page, "title: {zh-CN: 滞销品统计分析", "effective_to: 2026-03-31", keep=True)  # version 1 ends
    page.keyboard.press("Escape")  # no completion list open
    page.keyboard.press("Enter")
    _checked(page, "ok")
    assert page.evaluate("window.perfrulesEditorView.state.doc.toString()") == target

    # preview: clauses in both languages and the what-if over three months
    page.select_option("#months", "3")
    page.click("#preview-button")
    page.wait_for_selector("#preview-whatif", timeout=30000)
    zh = page.inner_text("article.contract[data-role='purchaser'][data-locale='zh-CN']")
    en = page.inner_text("article.contract[data-role='purchaser'][data-locale='en']")
    assert "15%" in zh and "滞销品" in zh and "15%" in en and "2026-04-01" in en
    whatif = page.inner_text("#preview-whatif")
    assert "2026-04-01" in page.inner_text("#whatif-later")  # version 2 starts after the months judged
    assert "Wang Fang" in whatif and "2026Q1" in whatif
    assert "purchasing.slow_mover_list" in page.inner_text("#preview-changes")
    page.screenshot(path=str(tmp_path / "preview.png"), full_page=True)

    # save, submit; the author may not approve
    page.fill("#note", "15% from April")
    page.click("#save-draft")
    page.wait_for_selector("#draft-status[data-status='draft']")
    review = page.url
    page.click("#step-submit")
    page.wait_for_selector("#draft-status[data-status='submitted']")
    assert page.locator("#step-approve").count() == 0 and page.locator("#await-review").count() == 1
    assert (folder / "purchasing.yaml").read_text(encoding="utf-8") == original

    # a second HR user approves and publishes
    second = _sign_in(browser, server, "hr2")
    second.goto(review)
    assert "15%" in second.inner_text("#preview-clauses")
    second.fill(".step-approve input[name=note]", "checked with finance")
    second.click("#step-approve")
    second.wait_for_selector("#draft-status[data-status='approved']")
    second.click("#step-publish")
    second.wait_for_selector("#draft-status[data-status='published']")
    assert (folder / "purchasing.yaml").read_text(encoding="utf-8") == target

    # the running service reads the new version at once, in force from its effective date
    second.goto(f"{server}/api/v1/rules")
    found = json.loads(second.inner_text("body"))
    (purchasing,) = [f for f in found["files"] if f["file"] == "purchasing.yaml"]
    slow = {r["version"]: r for r in purchasing["rules"] if r["id"] == "purchasing.slow_mover_list"}
    assert slow[2]["effective_from"] == "2026-04-01" and not slow[2]["in_force"]
    assert slow[1]["effective_to"] == "2026-03-31" and slow[1]["in_force"]


def test_the_editor_fits_a_phone(server, browser):
    page = _sign_in(browser, server, "hr", width=390)
    page.goto(f"{server}/rules/edit?file=purchasing.yaml&lang=zh-CN")
    page.wait_for_selector(".cm-editor .cm-content")
    _edit(page, "purchaser", "purchasr")
    _checked(page, "errors")
    assert "did you mean 'purchaser'?" in page.inner_text("#diagnostics")
    page.keyboard.press("Escape")
    page.hover(".cm-lintRange-error")
    page.wait_for_selector(".cm-tooltip-lint")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    if base.DOCS_IMG.is_dir():
        page.screenshot(path=str(base.DOCS_IMG / "rules-editor-390.png"))


@pytest.mark.parametrize("username", ["boss", "wang"])
def test_staff_and_managers_reach_none_of_it(server, browser, username):
    page = _sign_in(browser, server, username)
    assert page.locator("header nav a[href='/rules']").count() == 0
    for path in ("/rules", "/rules/edit?file=purchasing.yaml", "/rules/drafts/1", "/api/v1/rules"):
        response = page.goto(server + path)
        assert response.status == 403, path
    status = page.evaluate(
        """() => fetch('/api/v1/rules/check', {method: 'POST', headers: {'Content-Type': 'application/json'},
             body: JSON.stringify({file: 'purchasing.yaml', text: 'rules: []'})}).then(r => r.status)"""
    )
    assert status == 403  # refused: no CSRF token, and no 'rules' capability either
