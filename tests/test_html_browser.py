"""The HTML report in a real headless browser (Debian's chromium through chromedriver), at
1280 and 390 px: it renders, fetches nothing, lists clusters by reach and leads to each,
search and filters narrow the list, a diff is drawn when opened with its words marked and
stacks on a phone, the travel picture reads in words, and paper gets every diff.

``SCREENSHOTS=folder`` (``make screenshots``) keeps the page's screenshots at both widths, of
the samples' report or, with ``SCREENSHOTS_INPUT=path``, of that input's."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import SAMPLES, make_story, paragraphs

from dedup import scan
from dedup.cli import cli
from dedup.views.html import report_html

webdriver = pytest.importorskip(
    "selenium.webdriver", reason="selenium is not installed (pip install -e '.[dev]')"
)
WebDriverWait = pytest.importorskip("selenium.webdriver.support.wait").WebDriverWait
Image = pytest.importorskip("PIL.Image", reason="pillow is not installed (pip install -e '.[dev]')")

BROWSER = next(
    filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None
)
DRIVER = shutil.which("chromedriver")

pytestmark = pytest.mark.skipif(
    not (BROWSER and DRIVER),
    reason="chromium and chromedriver are not installed "
    "(apt-get install -y chromium chromium-driver; .ci/run does it)",
)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    # ``make screenshots`` also pictures a report of a large generated corpus through this.
    source = os.environ.get("SCREENSHOTS_INPUT") or str(SAMPLES)
    out = tmp_path_factory.mktemp("report") / "out.html"
    result = CliRunner().invoke(cli, ["report", "--html", str(out), source])
    assert result.exit_code == 0, result.output
    scanned = CliRunner().invoke(cli, ["scan", source, "--format", "json"])
    return out, [cluster["id"] for cluster in json.loads(scanned.stdout)["clusters"]]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = BROWSER
    with tempfile.TemporaryDirectory() as profile:
        for flag in (
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            "--window-size=1280,900",
        ):
            options.add_argument(flag)
        driver = webdriver.Chrome(service=Service(DRIVER), options=options)
        try:
            yield driver
        finally:
            driver.quit()


WIDTHS = {"wide": (1280, 900, False), "phone": (390, 844, True)}


@pytest.fixture(params=sorted(WIDTHS))
def width(request, browser) -> Iterator[str]:
    """Each test at both widths: a desk's screen and a phone."""
    wide, high, mobile = WIDTHS[request.param]
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": wide, "height": high, "deviceScaleFactor": 1, "mobile": mobile},
    )
    try:
        yield request.param
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def screenshot(browser) -> Image.Image:
    return Image.open(io.BytesIO(browser.get_screenshot_as_png())).convert("RGB")


PATIENCE = 30
"""Seconds a wait may last: each ends as soon as its condition holds, so this bounds only a
busy shared machine's worst case, never what a test measures."""


def waited(browser, css: str, within: object = None) -> list:
    """The elements ``css`` finds (in ``within``, else the page) once the script has drawn
    them: a cluster's data is unpacked asynchronously, so a section or a diff appears a
    moment after it is wanted."""
    where = within or browser
    return WebDriverWait(browser, PATIENCE).until(
        lambda b: where.find_elements("css selector", css)
    )


def fits(browser) -> bool:
    """Nothing on the page is wider than the window (the tables scroll inside themselves)."""
    return browser.execute_script("return document.documentElement.scrollWidth <= innerWidth")


def test_report_renders_and_its_cluster_list_leads_to_each_cluster(browser, report, width):
    out, cluster_ids = report
    browser.get(out.as_uri())
    image = screenshot(browser)
    colours = image.getcolors(maxcolors=1 << 16)
    assert colours is None or len(colours) > 50, "the page rendered as a blank screen"
    background = max(colours)[0] / (image.width * image.height) if colours else 0
    assert background < 0.9, "the page is nearly all one colour"
    # Nothing is fetched: no stylesheet, font, script or image from anywhere.
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0
    assert fits(browser)

    links = browser.find_elements("css selector", "nav.cluster-list a")
    assert sorted(link.get_attribute("hash") for link in links) == sorted(
        f"#{i}" for i in cluster_ids
    )
    reach = browser.execute_script(
        "return [...document.querySelectorAll('nav.cluster-list li')]"
        ".map(li => li.dataset.outlets.split('\\x1f').length)"
    )
    assert reach == sorted(reach, reverse=True) and reach[0] > reach[-1]  # furthest first
    for target in (links[0], links[-1]):
        wanted = target.get_attribute("hash")[1:]
        target.click()
        waited(browser, f'[id="{wanted}"] .cluster-body[data-filled]')
        state = browser.execute_script(
            "var t = document.querySelector(':target'), r = t.getBoundingClientRect();"
            "return [location.hash, t.id, t.className, r.top, innerHeight, scrollY];"
        )
        hash_, target_id, kind, top, height, scrolled = state
        assert hash_ == f"#{wanted}" and target_id == wanted and kind == "cluster"
        assert 0 <= top < height / 2 and scrolled > 0  # scrolled to the cluster
        section = browser.find_element("id", wanted)
        assert section.is_displayed() and "copy by copy" in section.text.lower()
        assert len(section.find_elements("css selector", "table.map tbody tr")) >= 3


def test_search_and_filters_narrow_the_clusters(browser, report, width):
    out, cluster_ids = report
    browser.get(out.as_uri())
    shown = (
        "return [[...document.querySelectorAll('nav.cluster-list li')]"
        ".filter(e => e.offsetParent).length,"
        " [...document.querySelectorAll('section.cluster')]"
        ".filter(e => !e.hidden).map(e => e.id), document.getElementById('shown').textContent]"
    )
    listed, sections, words = browser.execute_script(shown)
    assert listed == len(sections) == len(cluster_ids) and words == f"{len(cluster_ids)} clusters"
    search = browser.find_element("id", "q")
    assert search.is_displayed() and search.rect["x"] + search.rect["width"] <= (
        browser.execute_script("return innerWidth")
    )
    search.send_keys("RADIOVELL-OSS")  # a story id, in any case
    listed, sections, words = browser.execute_script(shown)
    assert listed == len(sections) == 1 and words == f"1 of {len(cluster_ids)} clusters shown"
    assert "Radio Vell" in browser.find_element("id", sections[0]).text
    search.clear()
    search.send_keys("no such story anywhere")
    listed, sections, _ = browser.execute_script(shown)
    assert listed == 0 and sections == []
    assert browser.find_element("css selector", "nav.cluster-list .none").is_displayed()
    search.clear()
    outlet, count = _choose_first(browser, "outlet")
    listed, sections, _ = browser.execute_script(shown)
    assert 0 < listed == len(sections) == count < len(cluster_ids)
    for section in sections:
        assert outlet in browser.find_element("id", section).get_attribute("data-outlets")
    _set_filter(browser, "outlet", "")
    _set_filter(browser, "size", "2-2")
    listed, sections, _ = browser.execute_script(shown)
    assert 0 < listed == len(sections) < len(cluster_ids)
    assert {browser.find_element("id", s).get_attribute("data-size") for s in sections} == {"2"}
    _set_filter(browser, "size", "")
    day, count = _choose_first(browser, "day")
    listed, sections, _ = browser.execute_script(shown)
    assert 0 < listed == len(sections) == count < len(cluster_ids)
    assert {browser.find_element("id", s).get_attribute("data-day") for s in sections} == {day}


def _set_filter(browser: Any, select: str, value: str) -> None:
    """Set one of the report's filters as a reader would (the page listens for input)."""
    browser.execute_script(
        "var s = document.getElementById(arguments[0]); s.value = arguments[1];"
        "s.dispatchEvent(new Event('input'));",
        select,
        value,
    )


def _choose_first(browser: Any, select: str) -> tuple[str, int]:
    """Choose a filter's first real option; its value and the count its label promises."""
    value, label = browser.execute_script(
        "var o = document.getElementById(arguments[0]).options[1];return [o.value, o.textContent];",
        select,
    )
    _set_filter(browser, select, value)
    return value, int(re.search(r"\((\d+)\)$", label).group(1))


DIFF_ROWS = (
    "var rows = [...arguments[0].querySelectorAll('.diff-row')], row = rows.find("
    "  r => r.querySelector('.side-a .para-box') && r.querySelector('.side-b .para-box'));"
    "var a = row.children[0].getBoundingClientRect(),"
    "    b = row.children[1].getBoundingClientRect();"
    "return [a.left, a.right, a.top, a.bottom, b.left, b.top];"
)


def test_a_diff_is_drawn_when_opened_with_its_words_marked(browser, report, width):
    out, _ = report
    browser.get(out.as_uri())
    # The radio station's copy of the floods story: its own words, some of the origin's
    # dropped. Its cluster is reached from the list, as a reader would.
    section = browser.find_element("css selector", 'section[data-q*="radiovell-oss-floods"]')
    browser.find_element(
        "css selector", f'nav.cluster-list a[href="#{section.get_attribute("id")}"]'
    ).click()
    diff = WebDriverWait(browser, PATIENCE).until(
        lambda b: section.find_element(
            "xpath", ".//details[contains(@class,'diff')][.//summary[contains(., 'Radio Vell')]]"
        )
    )
    assert not browser.find_elements("css selector", ".diff-grid .para-box")  # none drawn yet
    browser.execute_script("arguments[0].scrollIntoView()", diff)
    diff.find_element("tag name", "summary").click()
    waited(browser, ".para-box", diff)
    marked = diff.find_elements("css selector", ".side-b ins") + diff.find_elements(
        "css selector", ".side-a del"
    )
    assert marked and all(m.is_displayed() and m.text.strip() for m in marked[:5])
    if width == "wide":  # a phone labels each paragraph "origin" or "copy" instead
        assert diff.find_element("css selector", ".diff-cols").text.upper().startswith("ORIGIN")
    assert len(browser.find_elements("css selector", ".diff-grid .para-box")) == len(
        diff.find_elements("css selector", ".para-box")
    )  # only the diff opened was drawn
    a_left, a_right, a_top, a_bottom, b_left, b_top = browser.execute_script(DIFF_ROWS, diff)
    if width == "wide":
        assert b_left >= a_right and abs(a_top - b_top) < 1  # origin left, copy right
    else:
        assert abs(a_left - b_left) < 1 and b_top >= a_bottom  # copy under origin
    assert fits(browser)
    diff.find_element("tag name", "summary").click()
    diff.find_element("tag name", "summary").click()  # opened again: drawn once
    assert len(diff.find_elements("css selector", ".diff-cols")) == 1


def test_a_link_to_a_diff_opens_and_draws_it(browser, report):
    out, cluster_ids = report
    browser.get("about:blank")
    browser.get(f"{out.as_uri()}#{cluster_ids[-1]}-1")  # the last cluster, far down the page
    diff = waited(browser, f'[id="{cluster_ids[-1]}-1"]')[0]
    assert waited(browser, ".para-box", diff)
    assert diff.get_attribute("open") is not None and diff.is_displayed()
    top = browser.execute_script("return arguments[0].getBoundingClientRect().top", diff)
    assert -1 <= top < browser.execute_script("return innerHeight") / 2  # subpixel


def test_the_travel_picture_reads_in_words_at_both_widths(browser, report, width):
    out, _ = report
    browser.get(out.as_uri())
    section = browser.find_element("css selector", "section.cluster")
    browser.execute_script("arguments[0].scrollIntoView()", section)
    rows = waited(browser, ".travel .t-row", section)
    assert len(rows) >= 3
    origin, *copies = rows
    assert "origin" in origin.text and "of its text ran in the copies" in origin.text
    for row in copies:
        what = row.find_element("css selector", ".t-what")
        assert what.is_displayed() and "after the origin" in what.text
        assert any(word in what.text for word in ("copied", "rewritten", "updated"))
        assert "of its text is the origin" in what.text
        mark = row.find_element("css selector", ".t-mark").rect
        axis = row.find_element("css selector", ".t-axis").rect
        assert axis["x"] - 8 <= mark["x"] and mark["x"] + mark["width"] <= (
            axis["x"] + axis["width"] + 8
        )
        # The words sit beside the mark on a wide screen, under it on a phone: never on it.
        box = what.rect
        assert box["x"] >= mark["x"] + mark["width"] or box["y"] >= mark["y"] + mark["height"]
    assert "shingle" not in browser.find_element("tag name", "body").text.lower()
    assert fits(browser)


def test_print_draws_and_shows_every_diff_and_hides_navigation(browser, report):
    out, _ = report
    browser.get("about:blank")
    browser.get(out.as_uri())
    waited(browser, "details.diff")  # each cluster's body is unpacked by the page's script
    probe = (
        "var d = [...document.querySelectorAll('details.diff')];"
        "return [d.filter(e => e.querySelector('.para-box')"
        "  && e.querySelector('.para-box').checkVisibility()).length, d.length,"
        " getComputedStyle(document.querySelector('.back')).display,"
        " getComputedStyle(document.querySelector('.controls')).display];"
    )
    drawn, total, back, controls = browser.execute_script(probe)
    assert (drawn, back) == (0, "block") and total > 0 and controls != "none"
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        # The page hears of the print media a moment later, as it would of a print.
        # Drawing goes on a cluster at a time: wait for its end (every cluster drawn, so
        # more diffs than the page had, each visible), not its start.
        def printed(b: Any) -> list | bool:
            state = b.execute_script(probe)
            return state if state[0] == state[1] > total else False

        seen = WebDriverWait(browser, PATIENCE).until(printed)
        assert seen[2:] == ["none", "none"] and seen[0] == seen[1] > total
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})


def test_the_print_button_unpacks_and_opens_every_diff_shown_then_prints(browser, report):
    out, _ = report
    browser.get(out.as_uri())
    browser.execute_script("window.print = () => { document.title = 'printed'; };")
    outlet = browser.find_element("id", "outlet")
    wanted = outlet.find_elements("tag name", "option")[1].get_attribute("value")
    browser.execute_script(
        "arguments[0].value = arguments[1];arguments[0].dispatchEvent(new Event('input'));",
        outlet,
        wanted,
    )
    browser.find_element("id", "print").click()
    WebDriverWait(browser, PATIENCE).until(lambda b: b.title == "printed")
    state = browser.execute_script(
        "var shown = [...document.querySelectorAll('section.cluster:not([hidden]) details.diff')],"
        "    hidden = [...document.querySelectorAll('section.cluster[hidden] details.diff')];"
        "return [shown.length, shown.filter(d => d.open && d.querySelector('.para-box')).length,"
        "        hidden.filter(d => d.querySelector('.para-box')).length];"
    )
    assert state[0] > 0 and state[1] == state[0] and state[2] == 0  # the filter chose


def test_screenshots_at_both_widths(browser, report, width, tmp_path):
    """What ``make screenshots`` keeps (``SCREENSHOTS=folder``): the top of the page and the
    first cluster with a diff open, each a real picture rather than a blank page."""
    out, cluster_ids = report
    folder = Path(os.environ.get("SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    wide = WIDTHS[width][0]
    browser.get(out.as_uri())
    shots = {f"report-{wide}.png": screenshot(browser)}
    browser.get(f"{out.as_uri()}#{cluster_ids[0]}-1")
    waited(browser, f'[id="{cluster_ids[0]}-1"] .para-box')
    browser.execute_script("document.getElementById(arguments[0]).scrollIntoView()", cluster_ids[0])
    shots[f"cluster-{wide}.png"] = screenshot(browser)
    for name, image in shots.items():
        assert image.width == wide
        colours = image.getcolors(maxcolors=1 << 16)
        assert colours is None or len(colours) > 50, f"{name} is nearly blank"
        image.save(folder / name)
    assert {p.name for p in folder.iterdir()} >= set(shots)


def test_story_text_is_drawn_as_text_never_as_markup(browser, tmp_path):
    shared = paragraphs(41, 4)
    hostile = '<img src=x onerror="document.title=1"><script>document.title=2</script> & co'
    stories = [
        make_story("a", [*shared, hostile], outlet="<b>Evil</b>", date="2026-01-01T08:00:00Z"),
        make_story("b", [*shared, hostile + " again"], outlet="Plain", date="2026-01-01T09:00:00Z"),
    ]
    page = tmp_path / "hostile.html"
    page.write_text(report_html(scan(stories), title="Safe"), encoding="utf-8")
    browser.get("about:blank")
    browser.get(page.as_uri())
    diff = WebDriverWait(browser, PATIENCE).until(
        lambda b: b.find_element("css selector", "details.diff")
    )
    browser.execute_script("arguments[0].scrollIntoView()", diff)
    diff.find_element("tag name", "summary").click()
    waited(browser, ".para-box", diff)
    assert hostile in diff.text and "<b>Evil</b>" in browser.find_element("tag name", "body").text
    assert browser.title == "Safe"  # no injected handler or script ran
    assert not browser.find_elements("css selector", "main img, main b > b, .diff-grid script")
