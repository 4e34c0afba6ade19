"""Event files: every format read into one table, and every bad file refused with
``file:row:column`` (oversized, NUL, malformed CSV/JSON/XML, DTD entities, bad dates)."""
from __future__ import annotations

import datetime as dt

import pytest

from graphmodel.errors import ValidationError
from graphmodel.events import EVENT_COLUMNS, parse_events, read_events
from graphmodel.events.read import parse_date
from graphmodel.limits import MAX_EVENT_FILE_BYTES
from graphmodel.settings import bundled_data_path

EVENTS = bundled_data_path() / "events"
SIMPLE = "date,title,text,url\n"


def problems(data: str | bytes, label: str = "events.csv") -> list[str]:
    with pytest.raises(ValidationError) as raised:
        parse_events(data.encode() if isinstance(data, str) else data, label)
    return [str(p) for p in raised.value.problems]


def test_the_bundled_feed_reads_every_item_with_its_date_and_link():
    batch = read_events(EVENTS / "rare-earths-2025-2026.rss.xml")
    events = batch.events
    assert list(events.columns) == EVENT_COLUMNS
    assert len(events) == 7 and set(events["format"]) == {"rss"}
    first = events.iloc[1]
    assert first["date"] == "2025-04-04"
    assert first["title"] == "China Imposes Export Controls on Medium and Heavy Rare Earth Materials"
    assert first["url"].startswith("https://hklaw.com/")
    assert events["url"].str.startswith("http").all()
    assert events["id"].is_unique


def test_the_bundled_gdelt_extract_maps_fips_countries_to_iso():
    events = read_events(EVENTS / "gdelt-events-rare-earths-2025-2026.csv").events
    assert set(events["format"]) == {"gdelt-events"}
    by_date = events.set_index("date")
    # FIPS CH is China (ISO CH is Switzerland), BM is Burma, SW is Sweden
    assert by_date.loc["2025-04-07", "country"] == "CN"
    assert by_date.loc["2025-03-28", "country"] == "MM"
    assert by_date.loc["2025-01-31", "country"] == "SE"
    # the title is built from actors, CAMEO code and place; the text adds the URL's words
    assert by_date.loc["2025-04-07", "title"].startswith("CHINA / UNITED STATES: 163 (impose embargo")
    assert "export restrictions on heavy rare earths" in by_date.loc["2025-04-07", "text"]


def test_simple_csv_with_hints_and_namibia_not_missing():
    data = (SIMPLE.rstrip("\n") + ",country,facility,material,kind,severity\n"
            "2025-04-04,A title,some text,https://x.example/a,NA,,Dy oxide,Export control,0.4\n"
            "2025-04-05,Another,,,China,,,,\n")
    events = parse_events(data.encode(), "e.csv").events
    assert list(events["country"]) == ["NA", "CN"]      # NA is Namibia
    assert events.loc[0, "kind"] == "export_control"   # spaces and case normalised
    assert events.loc[0, "severity"] == 0.4
    assert events.loc[1, "severity"] != events.loc[1, "severity"]   # NaN: the rule's default
    assert list(events["row"]) == [2, 3]


def test_json_list_and_events_key():
    data = '{"events": [{"date": "2025-10-09", "title": "T", "text": "x", "url": "u"}]}'
    assert parse_events(data.encode(), "e.json").events.loc[0, "date"] == "2025-10-09"


def test_atom_feed():
    atom = """<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
    <entry><title>Plant fire</title><link rel="alternate" href="https://x.example/1"/>
    <updated>2025-06-01T10:00:00Z</updated><summary type="html">&lt;p&gt;Fire at &lt;b&gt;Kalgoorlie&lt;/b&gt;&lt;/p&gt;</summary></entry>
    </feed>"""
    events = parse_events(atom.encode(), "feed.atom").events
    assert events.loc[0, "format"] == "atom"
    assert events.loc[0, "url"] == "https://x.example/1"
    assert events.loc[0, "text"] == "Fire at Kalgoorlie"      # tags removed


def test_gdelt_gkg_as_published_tab_separated_without_header():
    cells = [""] * 27
    cells[0], cells[1], cells[3] = "20250601000000-1", "20250601120000", "example.com"
    cells[4] = "https://example.com/lynas-plant-halted"
    cells[9] = "1#Malaysia#MY#MY00##4.0#102.0#MY#"
    cells[13] = "lynas rare earths,10"
    cells[26] = "<PAGE_TITLE>Lynas plant halted</PAGE_TITLE>"
    events = parse_events(("\t".join(cells) + "\n").encode(), "x.gkg.csv").events
    assert events.loc[0, "format"] == "gdelt-gkg"
    assert events.loc[0, "title"] == "Lynas plant halted"
    assert events.loc[0, "country"] == "MY"                 # FIPS MY is Malaysia
    assert "lynas rare earths" in events.loc[0, "text"]


def test_the_same_event_twice_is_kept_once_with_a_note():
    data = SIMPLE + "2025-01-01,T,x,u\n2025-01-01,T,y,u\n"
    batch = parse_events(data.encode(), "e.csv")
    assert len(batch.events) == 1
    assert "e.csv:3: the same event as row 2" in batch.notes[0]


@pytest.mark.parametrize("text, expected", [
    ("2025-10-09", dt.date(2025, 10, 9)), ("2025-10-09T23:59:00+08:00", dt.date(2025, 10, 9)),
    ("Thu, 09 Oct 2025 08:00:00 GMT", dt.date(2025, 10, 9)), ("20251009", dt.date(2025, 10, 9)),
    ("20251009120000", dt.date(2025, 10, 9)), ("2025-02-30", None), ("20251009256000", None),
    ("9/10/2025", None), ("1800-01-01", None), ("", None), ("Thu, 32 Oct 2025 08:00:00 GMT", None),
])
def test_dates(text, expected):
    assert parse_date(text) == expected


# --- hostile input ------------------------------------------------------------------------

def test_every_bad_cell_is_named_by_file_row_and_column():
    data = (SIMPLE.rstrip("\n") + ",country,severity\n"
            "2025-02-30,T,x,u,CN,0.5\n"
            ",,x,u,Atlantis,1.5\n"
            "2025-01-01,T,x,u,CN,inf\n")
    found = problems(data)
    assert "events.csv:2:date: not a date: '2025-02-30' (expected YYYY-MM-DD, an RFC 822 date " \
           "as in RSS, or YYYYMMDD)" in found
    assert "events.csv:3:date: missing value (required)" in found
    assert "events.csv:3:title: missing value (required)" in found
    assert any(p.startswith("events.csv:3:country: unknown country 'Atlantis'") for p in found)
    assert any(p.startswith("events.csv:3:severity: must be between 0 and 1") for p in found)
    assert any(p.startswith("events.csv:4:severity:") and "finite" in p for p in found)


def test_missing_required_column():
    assert problems("date,title,url\n2025-01-01,T,u\n")[0].startswith(
        "events.csv:1:text: missing required column 'text'")


def test_an_oversized_file_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "big.csv"
    with path.open("wb") as out:
        out.truncate(MAX_EVENT_FILE_BYTES + 1)        # sparse: no memory, no disk
    with pytest.raises(ValidationError, match=r"big.csv:0:-: file is [\d,]+ bytes; event files "
                                              r"are limited to"):
        read_events(path)


def test_an_overlong_cell_is_refused():
    found = problems(SIMPLE + "2025-01-01,T," + "x" * 100_001 + ",u\n")
    assert found == ["events.csv:2:text: 100,001 characters; an event field is limited to 100,000"]


def test_formula_cells_stay_text_and_are_quoted_on_csv_output(monkeypatch, capsys, tmp_path):
    from tests.hostile import run_cli

    path = tmp_path / "e.csv"
    path.write_text(SIMPLE + '2025-01-01,"=HYPERLINK(""http://x"",""y"")",@SUM(A1),u\n',
                    encoding="utf-8")
    events = read_events(path).events
    assert events.loc[0, "title"] == '=HYPERLINK("http://x","y")'   # kept exactly
    code, _, err = run_cli(monkeypatch, capsys, "ingest", "events", path, "-o", tmp_path / "out.csv")
    assert code == 0, err
    written = (tmp_path / "out.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK" in written and "'@SUM(A1)" in written   # inert in a spreadsheet


@pytest.mark.parametrize("data, message", [
    (b"date,title,text,url\n2025-01-01,T\x00,x,u\n", "events.csv:2:-: NUL byte in the file"),
    (b"date,title,text,url\n2025-01-01,\"T,x,u\n", "events.csv:2:-: unclosed quote"),
    ("date,title,text,url\n2025-01-01,T\xe9,x,u\n".encode("latin-1"),
     "events.csv:2:-: file is not UTF-8 text (byte 0xe9 on line 2)"),
    ("date,title,text,url\n".encode("utf-16"), "events.csv:1:-: file is UTF-16 encoded"),
    (b"   \n", "events.csv:0:-: file is empty"),
    (b"date,title,text,url\n", "events.csv:0:-: no events in the file"),
])
def test_unreadable_files(data, message):
    assert problems(data)[0].startswith(message)


def test_malformed_json_names_line_and_column():
    assert problems('[{"date": "2025-01-01",\n "title": }]', "e.json")[0] == \
        "e.json:2:-: malformed JSON at line 2, column 11: Expecting value"
    assert problems('[{"date": NaN, "title": "T"}]', "e.json")[0] == \
        "e.json:0:-: NaN is not a number tiern accepts"
    assert problems('[{"date": ["2025"], "title": "T"}]', "e.json") == \
        ["e.json:1:date: expected a text or a number"]


def test_malformed_xml_names_line_and_column():
    feed = "<rss version='2.0'><channel>\n<item><title>T</titel></item></channel></rss>"
    assert problems(feed, "feed.xml") == ["feed.xml:2:col 17: malformed XML: mismatched tag"]


def test_xml_entities_are_refused():
    bomb = ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
            '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
            "<rss><channel><item><title>&b;</title><pubDate>2025-01-01</pubDate></item>"
            "</channel></rss>")
    found = problems(bomb, "feed.xml")
    assert found[0].startswith("feed.xml:0:-: refused: the feed declares a DTD, an entity")


def test_external_entities_are_refused(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read me", encoding="utf-8")
    feed = (f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]>'
            "<rss><channel><item><title>&x;</title><pubDate>2025-01-01</pubDate></item>"
            "</channel></rss>")
    found = problems(feed, "feed.xml")
    assert "refused" in found[0] and "do not read me" not in found[0]


def test_a_feed_item_without_a_date_is_named_by_item_and_element():
    feed = ("<rss><channel><item><title>T</title></item>"
            "<item><title>U</title><pubDate>yesterday</pubDate></item></channel></rss>")
    assert problems(feed, "feed.xml") == [
        "feed.xml:1:pubDate: missing value (required)",
        "feed.xml:2:pubDate: not a date: 'yesterday' (expected YYYY-MM-DD, an RFC 822 date as "
        "in RSS, or YYYYMMDD)"]


def test_a_gdelt_row_with_the_wrong_number_of_fields():
    data = "GLOBALEVENTID,SQLDATE,SOURCEURL\n1,20250101,https://x\n2,20250102\n"
    assert problems(data, "g.csv") == ["g.csv:3:-: 2 fields; the header (or the GDELT layout) has 3"]
