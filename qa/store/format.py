"""The on-disk index format: its version and the manifest every index version carries.

Loading imports only this module (no encoder, no build stack). The manifest records the
versions of everything that shapes stored data — file layout, parser, sentence splitter,
tokenizer — so an index written by older rules is reported stale instead of being served
with silently shifted rankings.
"""

from __future__ import annotations

from typing import Any

from qa.corpus.store import PARSER_VERSION
from qa.text import SPLITTER_VERSION, TOKENIZER_VERSION

FORMAT_VERSION = 4  # 4: document metadata (passages, summaries, Milvus `meta`)


def component_versions() -> dict[str, int]:
    """What this code writes; an index whose manifest differs must be rebuilt."""
    return {
        "format": FORMAT_VERSION,
        "parser": PARSER_VERSION,
        "splitter": SPLITTER_VERSION,
        "tokenizer": TOKENIZER_VERSION,
    }


def stale_components(manifest: dict[str, Any]) -> list[str]:
    """Names of the components whose recorded version differs from this code's."""
    recorded = manifest.get("versions") or {"format": manifest.get("format_version")}
    return [
        f"{name} {recorded.get(name)} ≠ {version}"
        for name, version in component_versions().items()
        if recorded.get(name) != version
    ]
