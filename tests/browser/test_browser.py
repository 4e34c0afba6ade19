"""The app in a real browser: every page on the bundled data, uploads, downloads, a scenario.

Run with ``.venv/bin/pytest -m browser tests/browser``; screenshots land in
``test-artifacts/screenshots/``.
"""
from __future__ import annotations

import csv
import io

import pytest

pytestmark = pytest.mark.browser

PAGES = {
    "overview": "Rare-earth magnet supply chain: overview",
    "explorer": "Network explorer",
    "concentration": "Concentration & exposure",
    "chokepoints": "Chokepoints",
    "scenarios": "Scenarios",
    "compliance": "Compliance",
    "data": "Data",
}
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def wait_idle(page) -> None:
    """Wait until Streamlit has finished the current run and drawn its charts."""
    page.wait_for_selector(IDLE, state="attached")
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached")
    page.wait_for_selector(IDLE, state="attached")
    page.wait_for_timeout(600)  # let plotly finish laying out before a screenshot


def open_page(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector('[data-testid="stMain"]')
    wait_idle(page)


def snap(page, screenshots, name: str) -> None:
    """Screenshot the whole page: grow the viewport to the content (Streamlit scrolls inside)."""
    height = page.evaluate(
        "() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": 1400, "height": min(max(int(height) + 40, 900), 7000)})
    page.wait_for_timeout(800)
    page.screenshot(path=str(screenshots / f"{name}.png"))
    page.set_viewport_size({"width": 1400, "height": 1100})


def no_exceptions(page) -> None:
    shown = page.locator('[data-testid="stException"]')
    assert shown.count() == 0, shown.first.inner_text()


@pytest.mark.parametrize("path", list(PAGES))
def test_every_page_renders_on_the_bundled_data(page, app_url, screenshots, path):
    open_page(page, f"{app_url}/{'' if path == 'overview' else path}")
    no_exceptions(page)
    assert page.get_by_role("heading", name=PAGES[path]).first.is_visible()
    assert page.locator('[data-testid="stCaptionContainer"]').filter(has_text="hash").count() >= 1
    snap(page, screenshots, path)


def test_overview_draws_sankey_and_map(page, app_url):
    open_page(page, f"{app_url}/")
    page.wait_for_selector(".js-plotly-plot .sankey")
    # The map's outlines come from the app's static folder, so they draw offline.
    page.wait_for_selector(".js-plotly-plot .geo .countries path", state="attached")


def test_explorer_filters_come_from_the_url(page, app_url, screenshots):
    open_page(page, f"{app_url}/explorer?stage=mine")
    no_exceptions(page)
    everything = page.get_by_text("facilities match").inner_text()
    shown, total = [int(n.replace(",", "")) for n in everything.split()[:3:2]]
    assert 0 < shown < total
    snap(page, screenshots, "explorer-mines")


def test_a_broken_upload_shows_a_table_of_problems(page, app_url, screenshots):
    open_page(page, f"{app_url}/data")
    broken = b"id,name,stage,country\nm1,Mine,mine,XX\n"
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
        files=[{"name": "facilities.csv", "mimeType": "text/csv", "buffer": broken}])
    page.get_by_role("button", name="Validate and load").click()
    wait_idle(page)
    no_exceptions(page)
    assert page.get_by_text("The upload was not loaded").is_visible()
    assert page.locator('[data-testid="stDataFrame"]').count() >= 1
    snap(page, screenshots, "data-bad-upload")
