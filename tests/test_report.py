"""The chokepoint report and its charts: contents of every format, opened and read back."""
from __future__ import annotations

import re
import shutil
import subprocess

import openpyxl
import plotly.graph_objects as go
import pytest

from graphmodel import chokepoints as ch
from graphmodel import plot
from graphmodel.colors import country_color
from graphmodel.examples import example_path
from graphmodel.report import build_report, to_html, write_report
from .cli_runner import tiern

GOLDEN = str(example_path("golden"))
SHEETS = ["README", "Summary", "Top chokepoints", "Facilities", "Countries", "Companies", "Sinks",
          "Concentration", "China exposure", "Methodology", "Sources"]


@pytest.fixture(scope="module")
def report():
    from graphmodel.examples import load_golden

    return build_report(load_golden(), top=5)




# --- content ----------------------------------------------------------------------------------
def test_top_chokepoints_are_upstream_facilities_with_reasons(report):
    top = report.top
    # metal_cn and magnet_cn tie at 0.7193; metal_cn has no alternative, so it comes first.
    assert list(top["id"][:3]) == ["metal_cn", "magnet_cn", "motor_de"]
    assert not set(top["id"]) & {"oem_auto", "oem_def"}  # buyers are not ranked
    why = top.set_index("id")["why"]
    assert why["motor_de"].startswith("70% of all sink demand (42 t magnet/yr)")
    assert "Single point of failure for 1 buyer (67% of demand): Golden automotive OEM." in why["motor_de"]
    assert "No qualified alternative supplier" in why["metal_cn"]
    # magnet_jp is in Japan but controlled from China (JP Metals is 60% CN Mining).
    full = report.tables["Facilities"].set_index("id")
    assert full.at["magnet_jp", "control_country"] == "CN"


def test_findings_state_the_headline_numbers(report):
    text = "\n".join(report.findings)
    assert "demand 60 t magnet/yr" in text
    assert "Largest chokepoint: Golden CN metal plant (metal, CN) carries 72% of all demand." in text
    assert "1 of 2 buyers can be cut off by a single facility failure (67% of demand)" in text
    # CN fails: 60 - (20*0.5 + 40*0.25) * 0.64/0.95 = 46.53 lost, 78% (tests/test_chokepoints).
    assert "If every facility in China failed, 78% of demand would be lost" in text


def test_china_exposure_per_oem_uses_the_exposure_algebra(report):
    wide = report.tables["China exposure"].set_index("id")
    # oem_def: half from magnet_cn (CN) and half from magnet_jp (JP, controlled from CN).
    assert wide.at["oem_def", "magnet (location)"] == pytest.approx(0.5)
    assert wide.at["oem_def", "magnet (control)"] == pytest.approx(1.0)
    assert list(wide.index) == ["oem_auto", "oem_def"]  # by demand, largest first


def test_sources_and_provenance(report, golden):
    assert report.meta["hash"] == golden.hash
    assert report.meta["years"] == "2025–2025"
    assert list(report.sources["source"]) == ["tiern golden example (invented)"]
    assert report.sources.iloc[0]["facilities"] == 14 and report.sources.iloc[0]["links"] == 18


# --- formats ----------------------------------------------------------------------------------
def test_xlsx_has_one_styled_sheet_per_table(report, tmp_path):
    path = write_report(report, tmp_path / "report.xlsx")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == SHEETS
    top = book["Top chokepoints"]
    header = [c.value for c in top[1]]
    assert header[:4] == ["rank", "id", "name", "stage"] and "why" in header
    assert top["A1"].font.bold and top["A1"].fill.fgColor.rgb.endswith("1F3A5F")
    rows = list(top.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 5
    assert rows[0][1] == "metal_cn"
    assert rows[0][header.index("criticality")] == pytest.approx(
        (40 * 0.75 / 0.95 + 20 * (0.5 + 0.075 / 0.95)) / 60)
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["Dataset hash"] == report.meta["hash"]
    countries = [row[1] for row in book["Countries"].iter_rows(min_row=2, values_only=True)]
    assert countries[0] == "CN" and len(countries) == 6


def test_xlsx_is_formatted_filterable_and_explains_itself(report, tmp_path):
    book = openpyxl.load_workbook(write_report(report, tmp_path / "report.xlsx"))
    readme = {row[0]: row[1] for row in book["README"].iter_rows(min_row=2, values_only=True)}
    assert list(readme) == SHEETS[1:] and all(text and len(text) > 30 for text in readme.values())
    for name in SHEETS:
        sheet = book[name]
        assert sheet.freeze_panes == "A2", name
        assert sheet.auto_filter.ref == sheet.dimensions, name
    top = book["Top chokepoints"]
    header = [c.value for c in top[1]]

    def format_of(sheet, column):
        col = [c.value for c in sheet[1]].index(column) + 1
        return {sheet.cell(row=r, column=col).number_format for r in range(2, sheet.max_row + 1)}

    assert format_of(top, "criticality") == {"0.0%"}
    assert format_of(top, "demand_at_risk") <= {"#,##0", "#,##0.00"}
    assert isinstance(top.cell(row=2, column=header.index("criticality") + 1).value, float)
    concentration = book["Concentration"]
    assert format_of(concentration, "share_location") == {"0.0%"}
    assert format_of(concentration, "hhi_country") == {"#,##0"}
    assert format_of(book["China exposure"], "mine (location)") == {"0.0%"}


def test_cli_xlsx_tables_are_formatted_too(tmp_path):
    out = tmp_path / "c.xlsx"
    tiern("concentration", GOLDEN, "-o", out)
    sheet = openpyxl.load_workbook(out)["concentration"]
    header = [c.value for c in sheet[1]]
    assert sheet.auto_filter.ref == sheet.dimensions and sheet.freeze_panes == "A2"
    assert sheet.cell(row=2, column=header.index("share_location") + 1).number_format == "0.0%"
    assert sheet.cell(row=2, column=header.index("capacity_total") + 1).number_format in \
        ("#,##0", "#,##0.00")


def test_html_is_interactive_offline_and_complete(report, tmp_path):
    path = write_report(report, tmp_path / "report.html")
    page = path.read_text(encoding="utf-8")
    for name in report.top["name"]:
        assert name in page
    assert report.meta["hash"] in page
    assert "Single point of failure for 1 buyer" in page
    scripts = re.findall(r"<script[^>]*>", page)
    assert scripts and not [s for s in scripts if "src=" in s]  # plotly.js is inline
    # No markup outside the scripts loads anything remote (plotly.js itself contains URL
    # strings, e.g. its logo link, which load nothing).
    markup = re.sub(r"<script[^>]*>.*?</script>", "", page, flags=re.DOTALL)
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", markup)
    assert "<link" not in markup
    assert page.count("Plotly.newPlot") == len(report.figures)
    assert "Methodology" in page and "L[k, u] / L[u, u]" in page


def test_markdown_has_tables_and_text(report, tmp_path):
    path = write_report(report, tmp_path / "report.md")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Rare-earth magnet supply chain: chokepoint report")
    assert f"hash `{report.meta['hash']}`" in text
    assert "| rank | name" in text.replace("|   rank | name", "| rank | name")
    assert "1. **Golden CN metal plant** (metal, CN):" in text
    assert "## Methodology" in text and "## Data sources" in text


def test_static_page_uses_images_not_scripts(report):
    page = to_html(report, images={name: "data:image/svg+xml;base64,AAAA" for name in report.figures})
    assert "<script" not in page
    assert page.count("<img ") == len(report.figures)


# not marked slow: the PDF is part of the report contract, so `make test` renders and checks it
@pytest.mark.skipif(not shutil.which("pdftoppm"), reason="poppler-utils not installed")
def test_pdf_renders_to_a4_pages(report, tmp_path):
    path = write_report(report, tmp_path / "report.pdf")
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(path), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert 5 <= len(pages) <= 20
    from PIL import Image

    width, height = Image.open(pages[0]).size
    # A4 at 60 dpi: 8.27 x 11.69 in = 496.1 x 701.6 px (pdftoppm rounds up)
    assert abs(width - 496) <= 1 and abs(height - 702) <= 1
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    assert report.meta["hash"] in text and "Golden CN metal plant" in text
    # Charts are embedded as images: their text is drawn, e.g. axis titles with units.
    assert "Share of sink demand at risk (%)" in text
    _check_a4_layout(path, report)


#: The PDF's left and right page margins (report._CSS: @page margin ... 14mm), in points.
MARGIN_PT = 14 / 25.4 * 72
A4_PT = (595.28, 841.89)


def _pdf_pages(path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    return text.split("\f")


def _check_a4_layout(path, report):
    """Every page A4; every word inside the side margins (tables fit or wrap); page 1 a cover
    with the findings; the sources an appendix starting on a page of its own."""
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "999", str(path)], capture_output=True,
                          text=True, check=True).stdout
    sizes = re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", info)
    assert sizes and all(abs(float(w) - A4_PT[0]) < 1 and abs(float(h) - A4_PT[1]) < 1
                         for w, h in sizes)
    bbox = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    words = re.findall(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)"[^>]*>([^<]*)<', bbox)
    assert len(words) > 500
    outside = [(word, float(x0), float(x1)) for x0, x1, word in words
               if float(x0) < MARGIN_PT - 1 or float(x1) > A4_PT[0] - MARGIN_PT + 1]
    assert not outside, f"text outside the page margins: {outside[:10]}"
    pages = _pdf_pages(path)
    cover = pages[0]
    assert "Summary" in cover and report.findings[0].split(":")[0][:40] in " ".join(cover.split())
    assert f"Top {len(report.top)} chokepoints" not in cover     # the cover holds the summary
    assert f"Top {len(report.top)} chokepoints" in pages[1]
    appendix = [i for i, page in enumerate(pages) if "Appendix: data sources" in page]
    assert len(appendix) == 1
    assert pages[appendix[0]].lstrip().startswith("Appendix: data sources")
    assert "Methodology" not in " ".join(pages[appendix[0]:])


def test_chart_errors_are_raised_with_their_cause(report, monkeypatch):
    # kaleido returns the errors of single figures instead of raising them; a chart it did
    # not write must not surface later as a FileNotFoundError on its image file
    import kaleido

    from graphmodel.errors import OutputError
    from graphmodel.report import static_images

    def half(specs, **_):
        for spec in specs[1:]:
            spec["path"].write_text("<svg/>")
        return (RuntimeError("Chromium tab crashed"),)

    monkeypatch.setattr(kaleido, "write_fig_from_object_sync", half)
    first = next(iter(report.figures))
    with pytest.raises(OutputError, match=rf"1 of {len(report.figures)} charts could not be "
                                          rf"rendered.*{re.escape(first)}.*Chromium tab crashed"):
        static_images(report.figures)

    def broken(specs, **_):
        raise ConnectionError("browser closed")

    monkeypatch.setattr(kaleido, "write_fig_from_object_sync", broken)
    with pytest.raises(OutputError, match="ConnectionError: browser closed"):
        static_images(report.figures)


# --- charts -----------------------------------------------------------------------------------
def test_charts_use_country_colours_and_label_units(golden):
    table = ch.chokepoints(golden, exclude_sinks=True)
    fig = plot.top_chokepoints_bar(table, top=5)
    assert isinstance(fig, go.Figure)
    assert fig.layout.xaxis.title.text == "Share of sink demand at risk (%)"
    for trace in fig.data:
        assert trace.marker.color == country_color(trace.name)
    assert sum(len(trace.x) for trace in fig.data) == 5
    groups = plot.group_bar(ch.chokepoints_by_group(golden, by="country"))
    assert "(%)" in groups.layout.xaxis.title.text
    assert list(groups.data[0].marker.color)[-1] == country_color("CN")  # top group last (top of chart)


def test_exposure_heatmap_labels_every_buyer(report):
    from graphmodel.report import china_exposure
    from graphmodel.examples import load_golden

    net = load_golden()
    exposure = china_exposure(net, net.sinks)
    fig = plot.exposure_heatmap(exposure)
    assert list(fig.data[0].x) == ["mine", "separator", "metal", "magnet"]
    assert set(fig.layout.yaxis.ticktext) == {"Golden automotive OEM", "Golden defense OEM"}
    assert fig.data[0].zmax == 100
    # with more buyers than the limit, the most exposed are drawn and the title says so
    few = plot.exposure_heatmap(exposure, limit=1)
    means = exposure.groupby("name")["location"].mean()
    assert list(few.layout.yaxis.ticktext) == [means.idxmax()]
    assert "the 1 most exposed of 2 buyers" in few.layout.title.text


# --- command line -----------------------------------------------------------------------------
def test_cli_chokepoints_json_and_options():
    import json

    rows = json.loads(tiern("chokepoints", GOLDEN, "--top", "3", "--format", "json").stdout)
    assert [r["id"] for r in rows] == ["metal_cn", "magnet_cn", "motor_de"]
    assert rows[2]["single_point_for"] == ["oem_auto"]
    rows = json.loads(tiern("chokepoints", GOLDEN, "--stage", "separator", "--sinks", "defense",
                            "-f", "json").stdout)
    # Defense demand only (oem_def, 20): sep_cn feeds magnet_cn (0.5 of oem_def) via metal_cn.
    assert [r["id"] for r in rows] == ["sep_cn", "sep_my", "sep_us"] and rows[0]["rank"] == 1
    table = tiern("chokepoints", GOLDEN, "--by", "company").stdout
    first = next(line for line in table.splitlines() if line.split()[:1] == ["1"])
    assert first.split()[:3] == ["1", "CN", "Mining"]


def test_cli_errors_are_messages():
    result = tiern("chokepoints", GOLDEN, "--sinks", "spaceship", check=False)
    assert result.returncode == 1 and "--sinks 'spaceship' is not a stage" in result.stderr
    assert "Traceback" not in result.stderr
    result = tiern("report", GOLDEN, "-o", "report.docx", check=False)
    assert result.returncode != 0 and "unsupported extension '.docx'" in result.stderr


def test_cli_report_writes_markdown(tmp_path):
    out = tmp_path / "report.md"
    result = tiern("report", GOLDEN, "-o", str(out), "--top", "3")
    assert f"wrote {out}" in result.stderr
    assert "## Top 3 chokepoints" in out.read_text(encoding="utf-8")


# --- backtests section --------------------------------------------------------------------
def _event(tmp_path):
    """A hand event: a CN magnet maker's exports halved for two months, observed 50 then 100."""
    import pandas as pd
    import yaml

    from graphmodel.build import network_from_records

    net = network_from_records(
        [{"id": "cn-mag", "name": "CN magnets", "stage": "magnet", "country": "CN"},
         {"id": "jp-mag", "name": "JP magnets", "stage": "magnet", "country": "JP"},
         {"id": "us-oem", "name": "US cars", "stage": "oem", "country": "US", "sector": "automotive"}],
        [{"supplier": "cn-mag", "customer": "us-oem", "material": "NdFeB magnet", "volume": 120},
         {"supplier": "jp-mag", "customer": "us-oem", "material": "NdFeB magnet", "volume": 60}])
    pd.DataFrame([{"series": "x", "month": m, "partner": "WORLD", "value": v, "unit": "t"}
                  for m, v in {"2025-01": 100, "2025-04": 40, "2025-05": 50, "2025-06": 100}.items()]
                 ).to_csv(tmp_path / "obs.csv", index=False)
    pd.DataFrame([{"company": "Detroit Cars", "country": "US", "sector": "automotive",
                   "date": "2025-05-10"}]).to_csv(tmp_path / "stops.csv", index=False)
    spec = {"name": "Hand event", "horizon_months": 3,
            "shocks": [{"type": "export_control", "select": {"country": "CN", "stage": "magnet"},
                        "capacity_loss": 0.5, "start_month": 0, "duration_months": 2}],
            "responses": {"inventory": False, "reroute": False},
            "observed": {"month0": "2025-04", "fit_until": "2025-04",
                         "series": [{"series": "x", "file": str(tmp_path / "obs.csv"),
                                     "simulated": {"links_from": {"country": "CN"},
                                                   "to_outside": "CN"},
                                     "baseline": {"months": ["2025-01", "2025-01"]}}],
                         "stoppages": {"file": str(tmp_path / "stops.csv")}}}
    path = tmp_path / "hand-event.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return net, path


def test_backtests_section_in_every_format(tmp_path):
    net, event = _event(tmp_path)
    report = build_report(net, top=2, backtests=[str(event), "bayan-obo-outage"])
    assert [e["label"] for e in report.backtests] == ["Backtest 2025"]
    errors = report.tables["Backtest 2025 errors"].set_index("split")
    # simulated 50, 50, 100 against observed 40, 50, 100: errors +25%, 0, 0
    assert errors.loc["fit", "mape"] == pytest.approx(0.25)
    assert errors.loc["held_out", "mape"] == pytest.approx(0.0)
    assert any("bayan-obo-outage" in note and "no observed" in note for note in report.notes)
    page = write_report(report, tmp_path / "r.html").read_text(encoding="utf-8")
    assert "Backtests: the model against real events" in page and "Detroit Cars" in page
    assert page.count("Plotly.newPlot") == len(report.figures)
    text = write_report(report, tmp_path / "r.md").read_text(encoding="utf-8")
    assert "### Hand event" in text and "+25.0%" in text and "tiern backtest hand-event" in text
    book = openpyxl.load_workbook(write_report(report, tmp_path / "r.xlsx"))
    assert {"Backtest 2025 errors", "Backtest 2025 months", "Backtest 2025 stoppages"} <= \
        set(book.sheetnames)
    readme = {row[0]: row[1] for row in book["README"].iter_rows(min_row=2, values_only=True)}
    assert readme["Backtest 2025 errors"].startswith("Backtest of ") and "MAPE" in \
        readme["Backtest 2025 errors"]
    static = to_html(report, images={name: "data:image/svg+xml;base64,AAAA"
                                     for name in report.figures})
    assert static.count("<img ") == len(report.figures)


def test_report_without_backtests_has_no_section(report):
    assert not report.backtests and "Backtests" not in [t for t, _ in report.methodology]


def test_cli_report_on_the_bundled_data_replays_the_real_events(tmp_path):
    out = tmp_path / "report.md"
    tiern("report", "-o", str(out), "--top", "3")
    text = out.read_text(encoding="utf-8")
    assert "## Backtests: the model against real events" in text
    assert "tiern backtest china-2025-export-controls-calibrated" in text
    assert "tiern backtest china-2010-export-quota-calibrated" in text
    tiern("report", "-o", str(out), "--top", "3", "--no-backtests")
    assert "## Backtests" not in out.read_text(encoding="utf-8")
