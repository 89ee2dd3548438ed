"""The Atom feed (RFC 4287) of newly published gains, built with ElementTree so that every
title and summary is escaped as XML and the document is always well formed."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from xml.etree import ElementTree as ET

from gains.services.public.register import PublicGain

ATOM = "http://www.w3.org/2005/Atom"
# Serialise Atom as the default namespace (registered once: it is process-wide state).
ET.register_namespace("", ATOM)
FEED_SIZE = 50


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")  # aware UTC: "2026-11-01T10:30:00+00:00"


def entry_id(feed_url: str, entry: PublicGain) -> str:
    """Permanent for one publication of one approval: a re-approval published again is news."""
    name = f"{feed_url}#{entry.improvement_id}/{entry.published_at.isoformat()}"
    return uuid.uuid5(uuid.NAMESPACE_URL, name).urn


def atom_feed(
    entries: Sequence[PublicGain],
    *,
    feed_url: str,
    register_url: str,
    entry_url: Callable[[int], str],
    updated: datetime,
) -> bytes:
    def add(parent, tag: str, text: str | None = None, **attributes) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attributes)
        if text is not None:
            element.text = text
        return element

    feed = ET.Element(f"{{{ATOM}}}feed")
    add(feed, "id", uuid.uuid5(uuid.NAMESPACE_URL, feed_url).urn)
    add(feed, "title", "Gains: newly published validated gains")
    add(
        feed,
        "subtitle",
        "Public-service improvements whose results a manager approved and published.",
    )
    add(feed, "updated", _stamp(updated))
    add(feed, "link", rel="self", type="application/atom+xml", href=feed_url)
    add(feed, "link", rel="alternate", type="text/html", href=register_url)
    author = add(feed, "author")
    add(author, "name", "Gains public register")
    add(feed, "generator", "Gains")
    for gain in list(entries)[:FEED_SIZE]:
        item = add(feed, "entry")
        add(item, "id", entry_id(feed_url, gain))
        add(item, "title", gain.title)
        add(item, "updated", _stamp(gain.published_at))
        add(item, "published", _stamp(gain.published_at))
        add(item, "link", rel="alternate", type="text/html", href=entry_url(gain.improvement_id))
        add(item, "category", term=gain.pillar.value, label=gain.pillar.label)
        words = [gain.summary, f"Department: {gain.department_name}."]
        if gain.result is not None:
            words += [f"{gain.metric_name}: {gain.result.sentence}", gain.saving_words]
        add(item, "summary", "\n\n".join(words), type="text")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
