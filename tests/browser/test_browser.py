"""The app in a real browser: every page on the bundled data, uploads, downloads, a scenario.

Run with ``.venv/bin/pytest -m browser tests/browser``; screenshots land in
``test-artifacts/screenshots/``.
"""
from __future__ import annotations

import csv
import io
import re

import pytest
from playwright.sync_api import expect

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


def no_known_defects(page) -> None:
    """What a walk of the pages once found: a missing page, "(nan)" in chart labels, metric
    deltas of "+0 pts", "None" in a chart's text."""
    assert page.get_by_text("Page not found").count() == 0
    deltas = page.locator('[data-testid="stMetricDelta"]').all_inner_texts()
    assert not [d for d in deltas if d.strip().lstrip("+-").startswith("0 pts")], deltas
    chart_text = " ".join(page.locator(".js-plotly-plot text").all_text_contents())
    assert "(nan)" not in chart_text and "None" not in chart_text.split()


def no_exceptions(page) -> None:
    shown = page.locator('[data-testid="stException"]')
    assert shown.count() == 0, shown.first.inner_text()


@pytest.mark.parametrize("path", list(PAGES))
def test_every_page_renders_on_the_bundled_data(page, app_url, screenshots, path):
    open_page(page, f"{app_url}/{'' if path == 'overview' else path}")
    no_exceptions(page)
    expect(page.get_by_role("heading", name=PAGES[path]).first).to_be_visible()
    assert page.locator('[data-testid="stCaptionContainer"]').filter(has_text="hash").count() >= 1
    no_known_defects(page)
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
    expect(page.get_by_text("The upload was not loaded")).to_be_visible()
    wait_idle(page)
    no_exceptions(page)
    # the problems table renders after the message; wait for it rather than count at once
    page.locator('[data-testid="stDataFrame"]').first.wait_for(state="visible", timeout=30_000)
    assert page.locator('[data-testid="stDataFrame"]').count() >= 1
    snap(page, screenshots, "data-bad-upload")


def test_chokepoint_csv_download_holds_the_ranked_table(page, app_url, screenshots, tmp_path):
    open_page(page, f"{app_url}/chokepoints")
    no_exceptions(page)
    with page.expect_download() as download:
        page.get_by_role("button", name="Chokepoints (CSV)").click()
    target = tmp_path / download.value.suggested_filename
    download.value.save_as(target)
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert len(rows) > 10
    assert [int(r["rank"]) for r in rows] == list(range(1, len(rows) + 1))
    assert {"id", "name", "criticality", "why", "single_point_for"} <= set(rows[0])
    # ranked by criticality; the ranking compares 12 digits, so float noise may tie
    criticality = [round(float(r["criticality"]), 10) for r in rows if r["criticality"]]
    assert criticality == sorted(criticality, reverse=True)
    # the page's top chokepoint is the file's first row
    expect(page.get_by_text(f"Top chokepoint: {rows[0]['name']}")).to_be_visible()
    snap(page, screenshots, "chokepoints-downloaded")


def test_a_preset_scenario_runs_and_draws_supply_curves(page, app_url, screenshots):
    from graphmodel.scenarios.presets import preset_paths

    presets = [p.stem for p in preset_paths()]
    if not presets:
        pytest.skip("no presets in data/scenarios yet")
    open_page(page, f"{app_url}/scenarios?scenario={presets[-1]}")
    no_exceptions(page)
    page.wait_for_selector(".js-plotly-plot .scatterlayer .trace")
    expect(page.get_by_text("Sinks short of supply")).to_be_visible()
    snap(page, screenshots, f"scenario-{presets[-1]}")
    page.get_by_role("tab", name="Monte Carlo").click()
    wait_idle(page)   # only the open tab runs: opening one is a rerun
    # the open tab is in the URL, so a link or a reload reopens it
    expect(page).to_have_url(re.compile(r"[?&]tab=Monte(\+|%20)Carlo(&|$)"))
    page.get_by_label("Runs").fill("20")
    page.get_by_label("Runs").press("Enter")
    wait_idle(page)
    page.get_by_role("button", name="Run Monte Carlo").click()
    expect(page.get_by_text("20 runs")).to_be_visible(timeout=120_000)
    wait_idle(page)
    no_exceptions(page)
    snap(page, screenshots, "scenario-monte-carlo")


def test_backtest_tab_draws_observed_against_simulated(page, app_url, screenshots):
    open_page(page, f"{app_url}/scenarios?scenario=china-2025-export-controls-calibrated")
    no_exceptions(page)
    page.get_by_role("tab", name="Backtest").click()
    expect(page.get_by_text("Documented stoppages")).to_be_visible()
    panel = page.get_by_role("tabpanel", name="Backtest")
    expect(panel.locator(".js-plotly-plot .scatterlayer .trace").first).to_be_attached()
    page.get_by_text("Compare with the optimal response").click()
    wait_idle(page)
    expect(page.get_by_text("Optimal response: time to survive")).to_be_visible(timeout=60_000)
    no_exceptions(page)
    snap(page, screenshots, "scenario-backtest")


def metric_value(page, label: str) -> str:
    box = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return box.locator('[data-testid="stMetricValue"]').inner_text()


def test_the_overview_opens_at_its_own_url(page, app_url):
    open_page(page, f"{app_url}/overview")
    expect(page.get_by_role("heading", name=PAGES["overview"]).first).to_be_visible()
    assert page.get_by_text("Page not found").count() == 0


def test_a_link_reproduces_page_dataset_and_scenario(page, app_url, screenshots):
    link = (f"{app_url}/scenarios?dataset=golden&scenario=build&sc_id=mine_cn&sc_severity=0.5"
            "&sc_inventory=false&sc_reroute=false")
    open_page(page, link)
    no_exceptions(page)
    expect(page.get_by_text("14 facilities").first).to_be_visible()  # the golden network
    first = metric_value(page, "Worst-hit sink")
    assert first == "68%"  # half of mine_cn lost, no responses (see tests/test_app.py)
    # the app keeps the view in the URL: page, dataset and scenario selection
    assert "/scenarios" in page.url and "dataset=golden" in page.url
    assert "scenario=build" in page.url and "sc_id=mine_cn" in page.url
    page.reload()
    page.wait_for_selector('[data-testid="stMain"]')
    wait_idle(page)
    expect(page.get_by_text("14 facilities").first).to_be_visible()
    assert metric_value(page, "Worst-hit sink") == first
    snap(page, screenshots, "scenario-from-link")


def boxes(locator) -> list[dict]:
    return [b for b in (item.bounding_box() for item in locator.all()) if b]


def overlaps(a: dict, b: dict) -> bool:
    return not (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])


def test_hhi_threshold_labels_do_not_cover_bars(page, app_url):
    open_page(page, f"{app_url}/concentration")
    chart = page.locator(".js-plotly-plot").filter(has_text="How concentrated each stage is")
    chart.locator(".bars path").first.wait_for(state="attached")
    labels = boxes(chart.locator(".annotation").filter(has_text="concentrated"))
    bars = boxes(chart.locator(".bars .point path"))
    assert len(labels) == 2 and bars
    assert not [(l, b) for l in labels for b in bars if overlaps(l, b)]
    assert not overlaps(labels[0], labels[1])


def test_export_control_chart_lists_the_most_affected_first(page, app_url, screenshots):
    open_page(page, f"{app_url}/compliance?rule=china-export-controls-2025-04")
    no_exceptions(page)
    chart = page.locator(".js-plotly-plot").filter(has_text="Share of supply under export control")
    chart.locator(".bars path").first.wait_for(state="attached")
    tick = chart.locator(".ytick text")
    ticks = [text for _, text in sorted(
        (tick.nth(i).bounding_box()["y"], tick.nth(i).text_content()) for i in range(tick.count()))]
    assert ticks and ticks[0].startswith("ABB"), ticks  # at 100%, read top to bottom
    assert any(t.startswith("Tesla") for t in ticks)
    assert chart.locator(".legend .traces").count() >= 2  # colours are explained
    no_known_defects(page)
    snap(page, screenshots, "compliance-export-controls")


def test_explorer_facility_table_fits_the_page(page, app_url):
    open_page(page, f"{app_url}/explorer")
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.wait_for(state="visible")
    scroller = grid.locator(".dvn-scroller").first
    width, visible = scroller.evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert width <= visible + 2, (width, visible)  # every column in view, no sideways scroll
