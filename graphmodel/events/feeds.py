"""RSS 2.0, RSS 1.0 (RDF) and Atom feeds -> event records.

Parsed with ``defusedxml`` over the standard library's ElementTree: a feed that declares a
DTD, an entity or an external reference is refused (no "billion laughs", no file or network
access while parsing), and malformed XML is a problem at its line and column. ``feedparser``
was not used: it accepts malformed feeds silently (its "bozo" flag), where tiern reports them.

Per item: ``title``; ``text`` from ``description`` / ``content:encoded`` (RSS) or ``summary`` /
``content`` (Atom), HTML tags removed and entities decoded; ``url`` from ``link`` (Atom: the
``rel="alternate"`` link, else the first); ``date`` from ``pubDate`` or ``dc:date`` (RSS),
``published`` or ``updated`` (Atom). Items are numbered from 1 in problem messages (the
row of ``file:row:column``), and the column names the element (``pubDate``).
"""
from __future__ import annotations

import html
from html.parser import HTMLParser
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from ..errors import Problem, ValidationError
from ..limits import MAX_EVENTS

__all__ = ["read_feed", "plain_text"]

ATOM = "{http://www.w3.org/2005/Atom}"
RSS1 = "{http://purl.org/rss/1.0/}"
DC = "{http://purl.org/dc/elements/1.1/}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"


def read_feed(text: str, label: str) -> tuple[str, list[dict]]:
    """``(format, records)`` of a feed's items (see the module docstring)."""
    try:
        root = fromstring(text.encode("utf-8"))
    except DefusedXmlException as error:
        raise ValidationError([Problem(label, 0, "-", f"refused: the feed declares a DTD, an "
                                       f"entity or an external reference ({type(error).__name__})"
                                       "; feeds need none")]) from None
    except ParseError as error:
        line, column = getattr(error, "position", (0, 0))
        message = str(error).split(":")[0]
        raise ValidationError([Problem(label, line, f"col {column + 1}",
                                       f"malformed XML: {message}")]) from None
    if root.tag == "rss":
        channel = root.find("channel")
        items = channel.findall("item") if channel is not None else []
        return "rss", _records(items, _rss_item, label)
    if root.tag == f"{ATOM}feed":
        return "atom", _records(root.findall(f"{ATOM}entry"), _atom_entry, label)
    if root.tag.endswith("RDF"):
        return "rss", _records(root.findall(f"{RSS1}item"), _rdf_item, label)
    raise ValidationError([Problem(label, 1, "-", f"not an RSS or Atom feed (root element "
                                   f"<{root.tag}>)")])


def _records(items: list[Element], read, label: str) -> list[dict]:
    if len(items) > MAX_EVENTS:
        raise ValidationError([Problem(label, 0, "-", f"more than {MAX_EVENTS:,} items in one "
                                       "feed (split it)")])
    if not items:
        raise ValidationError([Problem(label, 0, "-", "the feed has no items")])
    return [{**read(item), "_row": number} for number, item in enumerate(items, start=1)]


def _text(item: Element, *tags: str) -> tuple[str, str]:
    """(text, tag) of the first of ``tags`` present with content (else ("", first tag))."""
    for tag in tags:
        node = item.find(tag)
        if node is not None and "".join(node.itertext()).strip():
            return "".join(node.itertext()), tag
    return "", tags[0]


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _rss_item(item: Element) -> dict:
    date, date_tag = _text(item, "pubDate", f"{DC}date")
    body, _ = _text(item, "description", f"{CONTENT}encoded")
    title, _ = _text(item, "title")
    link, _ = _text(item, "link", "guid")
    return {"date": date, "title": plain_text(title), "text": plain_text(body), "url": link.strip(),
            "_columns": {"date": _local(date_tag), "title": "title", "text": "description",
                         "url": "link"}}


def _rdf_item(item: Element) -> dict:
    date, _ = _text(item, f"{DC}date")
    body, _ = _text(item, f"{RSS1}description")
    title, _ = _text(item, f"{RSS1}title")
    link, _ = _text(item, f"{RSS1}link")
    return {"date": date, "title": plain_text(title), "text": plain_text(body), "url": link.strip(),
            "_columns": {"date": "dc:date", "title": "title", "text": "description", "url": "link"}}


def _atom_entry(entry: Element) -> dict:
    date, date_tag = _text(entry, f"{ATOM}published", f"{ATOM}updated")
    body, _ = _text(entry, f"{ATOM}summary", f"{ATOM}content")
    title, _ = _text(entry, f"{ATOM}title")
    links = entry.findall(f"{ATOM}link")
    alternate = [node for node in links if node.get("rel", "alternate") == "alternate"]
    link = (alternate or links or [None])[0]
    return {"date": date, "title": plain_text(title), "text": plain_text(body),
            "url": (link.get("href", "") if link is not None else "").strip(),
            "_columns": {"date": _local(date_tag), "title": "title", "text": "summary",
                         "url": "link"}}


class _Stripper(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_text(markup: str) -> str:
    """Text of an HTML fragment (feeds carry HTML in descriptions), whitespace collapsed.

    >>> plain_text("<p>Lynas &amp; MP <b>Materials</b></p>")
    'Lynas & MP Materials'
    """
    if "<" not in markup:
        return " ".join(html.unescape(markup).split())
    stripper = _Stripper()
    stripper.feed(markup)
    stripper.close()
    return " ".join(" ".join(stripper.parts).split()).replace(" ,", ",")
