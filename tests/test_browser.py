"""A rendered report opened in headless Chromium: no console errors, every image loaded.

Needs Debian's chromium and chromium-driver; the test installs them where it can (as root
with apt-get) and otherwise is skipped with the reason.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from vawgstats import synthetic
from vawgstats.render import render
from vawgstats.schema import write_records

pytestmark = pytest.mark.slow


def _ensure_chromium() -> str | None:
    """Return None when chromium and chromedriver are available, else the reason they are not."""
    if shutil.which("chromium") and shutil.which("chromedriver"):
        return None
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return "chromium/chromium-driver are not installed and cannot be installed here (not root)"
    try:
        subprocess.run(["apt-get", "install", "-y", "-q", "chromium", "chromium-driver"], check=True,
                       capture_output=True, timeout=600)
    except (subprocess.SubprocessError, OSError) as exc:
        return f"could not install chromium with apt-get: {exc}"
    return None if shutil.which("chromium") and shutil.which("chromedriver") else "chromium still missing"


@pytest.fixture(scope="module")
def driver():
    reason = _ensure_chromium()
    if reason:
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1200,900"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    yield browser
    browser.quit()


@pytest.fixture(scope="module")
def report_files(tmp_path_factory):
    root = tmp_path_factory.mktemp("browser")
    data = root / "crimes.parquet"
    write_records(synthetic.generate(seed=5, start="2025-01", end="2026-03", scale=0.03), data)
    summary = render(bcus=["SW"], data_path=data, out_dir=root / "out", build_root=root / "build",
                     renderer="nbconvert", jobs=1, progress=False)
    assert not summary.failed, summary.text()
    return root / "out"


@pytest.mark.parametrize("name", ["bcu-SW.html", "london.html", "index.html"])
def test_report_loads_without_errors_and_all_images_render(driver, report_files, name):
    driver.get((report_files / name).as_uri())
    assert driver.execute_script("return document.readyState") == "complete"
    errors = [entry for entry in driver.get_log("browser") if entry["level"] in ("SEVERE", "ERROR")]
    assert errors == []
    images = driver.execute_script(
        "return Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.alt]);")
    if name != "index.html":
        assert len(images) >= 4
    for complete, width, alt in images:
        assert complete and width > 0 and alt
    # every link to another report points at a file that exists
    links = driver.execute_script("return Array.from(document.links).map(a => a.getAttribute('href'));")
    for href in links:
        if href and href.endswith(".html") and "://" not in href:
            assert (report_files / href).exists(), href


def test_index_map_links_are_keyboard_reachable(driver, report_files):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    driver.get((report_files / "index.html").as_uri())
    hrefs = driver.execute_script(
        "return Array.from(document.querySelectorAll('svg.bcu-map a')).map(a => a.getAttribute('href'));")
    assert hrefs == ["bcu-SW.html"]                       # only the report present is a link
    assert "12 Basic Command Units" in driver.execute_script(
        "return document.querySelector('svg.bcu-map > title').textContent;")
    reached = []
    for _ in range(4):
        ActionChains(driver).send_keys(Keys.TAB).perform()
        reached.append(driver.execute_script("return document.activeElement.getAttribute('href');"))
    assert reached[0] == "bcu-SW.html", reached            # the map is the first stop
