"""Check an Atom document against RFC 4287's required elements, and parse it with feedparser."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import feedparser

ATOM = "{http://www.w3.org/2005/Atom}"
# RFC 3339 date-time (section 3.3 of RFC 4287).
DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def absolute_iri(value: str | None) -> bool:
    parts = urlsplit(value or "")
    return bool(parts.scheme) and (parts.scheme == "tag" or bool(parts.netloc))


def check_common(element: ET.Element, where: str) -> list[str]:
    """atom:id, atom:title and atom:updated exactly once each; links absolute."""
    problems = []
    for name in ("id", "title", "updated"):
        found = element.findall(f"{ATOM}{name}")
        if len(found) != 1 or not (found[0].text or "").strip():
            problems.append(f"{where}: needs exactly one non-empty atom:{name}, has {len(found)}")
    ident = element.find(f"{ATOM}id")
    if ident is not None and not absolute_iri(ident.text):
        problems.append(f"{where}: atom:id {ident.text!r} is not an absolute IRI")
    updated = element.find(f"{ATOM}updated")
    if updated is not None and not DATE_TIME.match(updated.text or ""):
        problems.append(f"{where}: atom:updated {updated.text!r} is not an RFC 3339 date-time")
    alternates = {}
    for link in element.findall(f"{ATOM}link"):
        if not absolute_iri(link.get("href")):
            problems.append(f"{where}: link {link.get('href')!r} is not absolute")
        if link.get("rel", "alternate") == "alternate":
            key = (link.get("type"), link.get("hreflang"))
            if key in alternates:
                problems.append(f"{where}: two alternate links of the same type and language")
            alternates[key] = link
    for author in element.findall(f"{ATOM}author"):
        if not (author.findtext(f"{ATOM}name") or "").strip():
            problems.append(f"{where}: an atom:author without a name")
    return problems


def atom_problems(text: str) -> list[str]:
    """Everything in `text` that RFC 4287 requires and it lacks (empty when it is valid)."""
    root = ET.fromstring(text)
    if root.tag != f"{ATOM}feed":
        return [f"the root element is {root.tag}, not atom:feed"]
    problems = check_common(root, "feed")
    feed_has_author = bool(root.findall(f"{ATOM}author"))
    for i, entry in enumerate(root.findall(f"{ATOM}entry")):
        where = f"entry {i} ({entry.findtext(f'{ATOM}id')})"
        problems += check_common(entry, where)
        if not feed_has_author and not entry.findall(f"{ATOM}author"):
            problems.append(f"{where}: no atom:author, and the feed has none")
        has_alternate = any(link.get("rel", "alternate") == "alternate" for link in entry.findall(f"{ATOM}link"))
        if entry.find(f"{ATOM}content") is None and not has_alternate:
            problems.append(f"{where}: neither atom:content nor an alternate link")
    parsed = feedparser.parse(text)
    if parsed.bozo:
        problems.append(f"feedparser: {parsed.bozo_exception!r}")
    return problems


def entries(text: str) -> list[ET.Element]:
    return ET.fromstring(text).findall(f"{ATOM}entry")
