"""The report as people read it: outputs/report.html in headless Chromium at phone width (390 px)
and desktop width (1280 px).

Needs Debian's ``chromium`` and ``chromium-driver`` (``/usr/bin/chromium``,
``/usr/bin/chromedriver``; ``.ci/run`` installs them) and selenium (requirements.lock). The
driver path is given explicitly, so selenium-manager never runs and nothing is downloaded; the
browser runs with a fresh profile and its background networking off. Without the browser the
tests skip with a one-line reason.

Checked at each width: no sideways scroll of the page; every figure within the page or inside
its own scroll box, at its native size (never shrunk); numeric headers aligned like their
numbers; no console errors; no network request (the report is self-contained); on the desktop,
the summary is visible without scrolling.

Screenshots for docs/screenshots/ (run by hand): ``.venv/bin/python tests/test_report_browser.py``.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REPORT = Path(os.environ.get("JAKISYNTH_REPORT", ROOT / "outputs" / "report.html"))
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage")
WIDTHS = {"phone": (390, 844), "desktop": (1280, 800)}


def _missing() -> str | None:
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not path.exists():
            return f"{path} not found (apt-get install {package}; .ci/run installs it)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium not installed (pip install -r requirements.lock)"
    return None


def start_browser(profile: Path):
    """Headless Chromium from the Debian packages, driven through the given chromedriver."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    return webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)


def load(driver, width: int, height: int, path: Path = REPORT) -> None:
    """Open ``path`` in a ``width`` x ``height`` CSS-pixel viewport (a phone honours the
    page's viewport meta tag: ``mobile`` emulation)."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})
    driver.get(path.as_uri())
    driver.execute_script("window.scrollTo(0, 0)")


# Every figure: its box, its native width (the SVG's width attribute, pt -> px), and the box of
# its nearest scrolling ancestor.
FIGURES_JS = """
return Array.from(document.querySelectorAll('figure svg')).map(svg => {
  const r = svg.getBoundingClientRect();
  let box = svg.parentElement, scroller = null;
  while (box && box !== document.body) {
    const o = getComputedStyle(box).overflowX;
    if (o === 'auto' || o === 'scroll') { scroller = box; break; }
    box = box.parentElement;
  }
  const s = scroller ? scroller.getBoundingClientRect() : null;
  return {id: svg.closest('figure').textContent.trim().slice(-60), left: r.left, right: r.right,
          width: r.width, native: parseFloat(svg.getAttribute('width')) * 96 / 72,
          scroller: s ? {left: s.left, right: s.right, clientWidth: scroller.clientWidth,
                         scrollWidth: scroller.scrollWidth} : null};
});
"""

# For every table column whose cells are numeric (td.n), the header's and cells' alignment.
ALIGN_JS = """
const out = [];
for (const table of document.querySelectorAll('table')) {
  const heads = table.querySelectorAll('thead th');
  const rows = table.querySelectorAll('tbody tr');
  heads.forEach((th, i) => {
    const cells = Array.from(rows).map(tr => tr.children[i]).filter(td => td && td.textContent.trim());
    if (!cells.length || !cells.every(td => td.classList.contains('n'))) return;
    out.push({header: th.textContent.trim(), th: getComputedStyle(th).textAlign,
              td: getComputedStyle(cells[0]).textAlign});
  });
}
return out;
"""


@pytest.fixture(scope="module")
def browser():
    reason = _missing()
    if reason:
        pytest.skip(f"browser test skipped: {reason}")
    if not REPORT.exists():
        pytest.skip(f"browser test skipped: {REPORT} not found (run `jakisynth run`)")
    profile = Path(tempfile.mkdtemp(prefix="jakisynth-chromium-"))
    driver = start_browser(profile)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.mark.parametrize("device", list(WIDTHS))
def test_report_reads_at_width(browser, device):
    width, height = WIDTHS[device]
    browser.get_log("browser")  # drop earlier entries
    browser.get_log("performance")
    load(browser, width, height)

    # no sideways scroll of the page
    page = browser.execute_script(
        "return {inner: window.innerWidth, scroll: document.documentElement.scrollWidth,"
        " body: document.body.scrollWidth}")
    assert page["inner"] == width
    assert page["scroll"] <= width and page["body"] <= width, page

    # every figure within the page, or inside its own scroll box that is; never shrunk
    figures = browser.execute_script(FIGURES_JS)
    assert len(figures) >= 10
    for f in figures:
        assert f["width"] == pytest.approx(f["native"], abs=1.0), f  # native size: legible
        if f["left"] >= 0 and f["right"] <= width:
            continue
        box = f["scroller"]
        assert box is not None, f"figure wider than the page and not in a scroll box: {f}"
        assert box["left"] >= 0 and box["right"] <= width, f
        assert box["scrollWidth"] > box["clientWidth"], f

    # numeric headers aligned like their numbers
    columns = browser.execute_script(ALIGN_JS)
    assert len(columns) >= 20
    misaligned = [c for c in columns if c["th"] != c["td"]]
    assert not misaligned, misaligned
    assert {c["td"] for c in columns} == {"right"}

    # no console errors
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors

    # no network request: the page loads only itself, and nothing goes to the network
    page_requests, network = [], []
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            params = message["params"]
            url = params["request"]["url"]
            if params.get("documentURL") == REPORT.as_uri():
                page_requests.append(url)
            if url.split(":", 1)[0] in ("http", "https", "ws", "wss", "ftp"):
                network.append(url)
    assert page_requests == [REPORT.as_uri()], page_requests
    assert not network, network
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0

    if device == "desktop":  # the summary of findings at the top, visible without scrolling
        box = browser.execute_script(
            "const s = document.querySelector('#summary-of-findings');"
            "const h = s.querySelector('h2').getBoundingClientRect();"
            "const row = s.querySelector('tbody tr').getBoundingClientRect();"
            "return {heading: h.top, row_bottom: row.bottom, inner: window.innerHeight};")
        assert 0 <= box["heading"] and box["row_bottom"] <= box["inner"], box


def test_phone_text_is_not_shrunk(browser):
    """At 390 px the body text keeps its size and the forest plots their 8 pt (10.7 px) text:
    the page does not zoom out to fit a wide element."""
    load(browser, *WIDTHS["phone"])
    size = browser.execute_script("return parseFloat(getComputedStyle(document.body).fontSize)")
    assert size >= 15
    scale = browser.execute_script("return window.visualViewport.scale")
    assert scale == pytest.approx(1.0)


def screenshots(out_dir: Path = ROOT / "docs" / "screenshots") -> list[Path]:
    """The top of the report (1280 px) and its results section on a phone (390 px), as PNGs."""
    reason = _missing()
    if reason:
        raise SystemExit(reason)
    out_dir.mkdir(parents=True, exist_ok=True)
    profile = Path(tempfile.mkdtemp(prefix="jakisynth-chromium-"))
    driver = start_browser(profile)
    written = []
    try:
        for name, (width, height) in (("report-1280.png", WIDTHS["desktop"]),
                                      ("report-390.png", (390, 1300))):
            load(driver, width, height)
            if width < 600:  # on the phone: the results table and a forest plot, each in its box
                driver.execute_script("document.querySelector('#results').scrollIntoView()")
            driver.save_screenshot(str(out_dir / name))
            written.append(out_dir / name)
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
    return written


if __name__ == "__main__":
    for path in screenshots():
        print(path)


def test_ci_installs_the_browser_then_runs_the_readme_test_command():
    """CI always runs the browser test: .ci/run installs Debian's chromium and chromium-driver
    when missing, then runs the README's test command verbatim."""
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = next(line for line in readme.splitlines()
                   if line.startswith("python3 -m venv") and "pytest" in line)
    lines = [line.strip() for line in ci.splitlines()]
    assert lines[-1] == command
    install = lines.index("apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "
                          "chromium chromium-driver")
    assert install < len(lines) - 1
