"""Markdown → paragraphs and `#` headings (hand-written: a paragraph splitter, not a renderer).

Blank lines separate paragraphs; lines of one paragraph join (without a space between Chinese
characters); `#`…`######` and setext (`===`, `---` underlines) are headings; list items join the
paragraph before them as bullet lines; fenced code and HTML comments are skipped. Front matter is metadata
(qa.corpus.metadata).
"""

from __future__ import annotations

import re
from pathlib import Path

from qa.corpus.metadata import MetadataError, split_front_matter
from qa.corpus.readers.registry import Block, Blocks, Reader, ReaderError, register
from qa.text import cjk_count, clean_line

_ATX = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_SETEXT = re.compile(r"^(=+|-+)\s*$")
_LIST = re.compile(r"^\s*([-*+]|\d+[.)])\s+")
_INLINE = [
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),
    (re.compile(r"\[([^\]]*)\]\([^)]*\)"), r"\1"),
    (re.compile(r"(\*\*|__|\*|_|`)(\S.*?\S|\S)\1"), r"\2"),
    (re.compile(r"<!--.*?-->"), ""),
]


def _plain(text: str) -> str:
    for pattern, repl in _INLINE:
        text = pattern.sub(repl, text)
    return clean_line(text)


def _join(a: str, b: str) -> str:
    if not a:
        return b
    return a + b if cjk_count(a[-1]) and cjk_count(b[:1]) else f"{a} {b}"


def markdown_blocks(raw: str) -> Blocks:
    blocks: list[Block] = []
    current: list[str] = []
    in_code = False

    def close() -> None:
        if current:
            text = ""
            for line in current:
                text = _join(text, line)
            blocks.append(Block(text))
            current.clear()

    for line in raw.splitlines():
        stripped = line.strip()
        if stripped.startswith(("```", "~~~")):
            in_code = not in_code
            close()
            continue
        if in_code:
            continue
        atx = _ATX.match(stripped)
        if atx:
            close()
            blocks.append(Block(_plain(atx.group(2)), heading=len(atx.group(1))))
        elif _SETEXT.match(stripped) and len(current) == 1:
            blocks.append(Block(current.pop(), heading=1 if stripped[0] == "=" else 2))
        elif not stripped:
            close()
        elif _LIST.match(line):
            item = _plain(_LIST.sub("", line, count=1))
            close()
            if blocks and not blocks[-1].heading:
                blocks[-1].text += f"\n• {item}"
            else:
                blocks.append(Block(f"• {item}"))
        elif _plain(stripped):
            current.append(_plain(stripped))
    close()
    return Blocks([b for b in blocks if b.text])


def read_markdown(path: Path) -> Blocks:
    """Paragraphs and headings; a `---` YAML front matter block becomes the file's properties."""
    raw = Path(path).read_text(encoding="utf-8-sig", errors="replace")
    try:
        front, body = split_front_matter(raw, Path(path).name)
    except MetadataError as exc:
        raise ReaderError(str(exc)) from exc
    blocks = markdown_blocks(body)
    blocks.properties = front
    return blocks


register(Reader("md", (".md", ".markdown"), lambda path, _limits: read_markdown(path), plain_text=True))
