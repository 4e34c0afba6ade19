"""data/CHANGELOG.md: every bundled data change has a version entry; the version is shown."""
from __future__ import annotations

import datetime as dt

import pytest

from graphmodel.changelog import CHANGELOG, read_changelog, version_of
from graphmodel.errors import InputFormatError
from graphmodel.network import load_network
from graphmodel.settings import bundled_data_path


def test_top_entry_is_the_bundled_data():
    """A change to the bundled tables without a new changelog entry fails here: add an entry
    with the hash `tiern validate data` prints (see data/CHANGELOG.md)."""
    versions = read_changelog()
    net = load_network(bundled_data_path(default=True))
    assert versions, "data/CHANGELOG.md has no version"
    assert versions[0].hash == net.hash, (
        f"the bundled data's hash is {net.hash}, the newest changelog entry has "
        f"{versions[0].hash}: add an entry to data/CHANGELOG.md")
    assert net.meta["version"] == versions[0].version


def test_versions_newest_first_with_dates_and_notes():
    versions = read_changelog()
    assert [v.date for v in versions] == sorted((v.date for v in versions), reverse=True)
    assert all(v.notes for v in versions), "every version says what changed"


def test_a_network_not_in_the_changelog_has_no_version(golden):
    assert golden.meta["version"] is None
    assert version_of("0" * 16) is None


def test_parsing_and_bad_headings(tmp_path):
    good = tmp_path / "CHANGELOG.md"
    good.write_text("# log\n\n## 2027.1.2 (2027-01-05) · hash `00000000000000ab`\n- b\n\n"
                    "## 2027.1.1 (2027-01-01) · hash `00000000000000aa`\n- a\n", encoding="utf-8")
    versions = read_changelog(good)
    assert [(v.version, v.date, v.hash, v.notes) for v in versions] == [
        ("2027.1.2", dt.date(2027, 1, 5), "00000000000000ab", "- b"),
        ("2027.1.1", dt.date(2027, 1, 1), "00000000000000aa", "- a")]
    assert version_of("00000000000000aa", good).version == "2027.1.1"
    bad = tmp_path / "bad.md"
    bad.write_text("# log\n\n## 2027.1.1 hash 00aa\n", encoding="utf-8")
    with pytest.raises(InputFormatError, match=r"bad.md:3: expected"):
        read_changelog(bad)
    repeated = tmp_path / "repeated.md"
    repeated.write_text("## 2027.1.1 (2027-01-01) · hash `00000000000000aa`\n"
                        "## 2027.1.2 (2027-01-02) · hash `00000000000000aa`\n", encoding="utf-8")
    with pytest.raises(InputFormatError, match=r"repeated.md:2: 00000000000000aa repeats line 1"):
        read_changelog(repeated)


def test_changelog_ships_with_the_data():
    assert CHANGELOG.exists()
