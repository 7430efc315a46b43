"""The HTML report in a real headless browser (Debian's chromium through chromedriver):
it renders, its cluster list leads to each cluster, it fetches nothing, the diffs stack on
a phone, and paper gets every diff."""

from __future__ import annotations

import io
import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import SAMPLES

from dedup.cli import cli

webdriver = pytest.importorskip(
    "selenium.webdriver", reason="selenium is not installed (pip install -e '.[dev]')"
)
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
    out = tmp_path_factory.mktemp("report") / "out.html"
    result = CliRunner().invoke(cli, ["report", "--html", str(out), str(SAMPLES)])
    assert result.exit_code == 0, result.output
    scanned = CliRunner().invoke(cli, ["scan", str(SAMPLES), "--format", "json"])
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


def test_report_renders_and_its_cluster_list_leads_to_each_cluster(browser, report):
    out, cluster_ids = report
    browser.get(out.as_uri())
    image = Image.open(io.BytesIO(browser.get_screenshot_as_png())).convert("RGB")
    colours = image.getcolors(maxcolors=1 << 16)
    assert colours is None or len(colours) > 50, "the page rendered as a blank screen"
    background = max(colours)[0] / (image.width * image.height) if colours else 0
    assert background < 0.9, "the page is nearly all one colour"
    # Nothing is fetched: no stylesheet, font, script or image from anywhere.
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0

    links = browser.find_elements("css selector", "nav.cluster-list a")
    assert [link.get_attribute("hash") for link in links] == [f"#{i}" for i in cluster_ids]
    for target in (links[0], links[-1]):
        wanted = target.get_attribute("hash")[1:]
        target.click()
        state = browser.execute_script(
            "var t = document.querySelector(':target'), r = t.getBoundingClientRect();"
            "return [location.hash, t.id, t.className, r.top, innerHeight, scrollY];"
        )
        hash_, target_id, kind, top, height, scrolled = state
        assert hash_ == f"#{wanted}" and target_id == wanted and kind == "cluster"
        assert 0 <= top < height / 2 and scrolled > 0  # scrolled to the cluster
        section = browser.find_element("id", wanted)
        assert section.is_displayed() and "who ran it" in section.text.lower()
        assert len(section.find_elements("css selector", "table.map tbody tr")) >= 3


def test_diffs_sit_side_by_side_on_a_wide_screen_and_stack_on_a_phone(browser, report):
    out, _ = report
    rows = (
        "var d = document.querySelector('details.diff'); d.open = true;"
        "var row = [...d.querySelectorAll('.diff-row')].find("
        "  r => r.querySelector('.side-a .para-box') && r.querySelector('.side-b .para-box'));"
        "var a = row.children[0].getBoundingClientRect(),"
        "    b = row.children[1].getBoundingClientRect();"
        "return [a.left, a.right, a.top, a.bottom, b.left, b.top,"
        "        document.documentElement.scrollWidth, innerWidth];"
    )
    browser.get(out.as_uri())
    a_left, a_right, a_top, _, b_left, b_top, _, _ = browser.execute_script(rows)
    assert b_left >= a_right and abs(a_top - b_top) < 1  # origin left, copy right
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True},
    )
    try:
        browser.get(out.as_uri())
        a_left, _, _, a_bottom, b_left, b_top, page_width, width = browser.execute_script(rows)
        assert width == 390 and page_width <= width  # nothing wider than the phone
        assert abs(a_left - b_left) < 1 and b_top >= a_bottom  # copy under origin
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_print_shows_every_diff_and_hides_navigation(browser, report):
    out, _ = report
    browser.get(out.as_uri())
    probe = (
        "return [document.querySelector('details.diff:not([open]) .para-box').checkVisibility(),"
        " getComputedStyle(document.querySelector('.back')).display];"
    )
    assert browser.execute_script(probe) == [False, "block"]  # collapsed on screen
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert browser.execute_script(probe) == [True, "none"]
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
