"""An lxml parser that reads untrusted XML safely: no entities, no network, no huge trees."""

from __future__ import annotations

from lxml import etree


def safe_parser() -> etree.XMLParser:
    # resolve_entities=False stops "billion laughs" expansion; no_network stops external fetches.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        dtd_validation=False,
        remove_comments=True,
    )
