"""Strip the web-page noise around a document: header meta, watermarks, TOC, footer."""

from __future__ import annotations

import re

from qa.corpus.structure import heading_of, is_toc_marker
from qa.text import cjk_count, clean_line, detect_lang

# Page meta shown above an article: a date, a view counter ("20次", "阅读 1234").
_HEADER_META = re.compile(r"^(\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?|\d+\s*次|阅读\s*\d+|浏览\s*\d+)$")
HEADER_SCAN_LINES = 6
# Site watermarks pasted into the article body.
WATERMARKS = re.compile(r"^(天之聪\s*CATTI|CATTI|.*公众号.*|扫码关注.*)$", re.IGNORECASE)
WATERMARK_MAX_CHARS = 30
# Where the page's own furniture (likes, bookmarks, related news) begins.
_FOOTER = re.compile(
    r"^(点赞(\(\d+\)|（\d+）)?|收藏|收藏资讯|分享|分享到.*|相关阅读|相关新闻|责任编辑.*|"
    r"上一篇.*|下一篇.*)$"
)


def strip_header(lines: list[str]) -> list[str]:
    """Drop the publisher/date/views block when the first lines look like page meta."""
    last_meta = -1
    for i, line in enumerate(lines[:HEADER_SCAN_LINES]):
        if _HEADER_META.match(line):
            last_meta = i
    return lines[last_meta + 1 :]


def cut_footer(lines: list[str]) -> list[str]:
    for i, line in enumerate(lines):
        if _FOOTER.match(line):
            return lines[:i]
    return lines


def split_toc(lines: list[str]) -> tuple[list[str], list[str]]:
    """(front matter, body): the table of contents is dropped.

    The TOC lists headings; the body starts where its first entry appears again.
    """
    for i, line in enumerate(lines):
        if not is_toc_marker(line):
            continue
        j = i
        while j < len(lines) and is_toc_marker(lines[j]):
            j += 1
        if j >= len(lines):
            break
        first_entry = lines[j]
        for k in range(j + 1, len(lines)):
            if lines[k] == first_entry:
                return lines[:i], lines[k:]
        break
    # No TOC: the front matter runs up to the first heading.
    for i, line in enumerate(lines):
        if heading_of(line, detect_lang(line)):
            return lines[:i], lines[i:]
    return [], lines


def _weight(line: str) -> int:
    """Length in Latin-character terms: a Chinese character says about as much as three, so the
    two editions of one text drop the same repeats (else their paragraph counts part)."""
    return len(line) + 2 * cjk_count(line)


def drop_repeats(lines: list[str], min_chars: int = 30) -> list[str]:
    """A long paragraph that appears twice is page furniture the second time."""
    seen: set[str] = set()
    out = []
    for line in lines:
        if _weight(line) >= min_chars and line in seen:
            continue
        seen.add(line)
        out.append(line)
    return out


def clean_lines(raw: str) -> tuple[list[str], list[str]]:
    """Raw page text → (front matter lines, body lines), noise removed."""
    lines = [clean_line(line) for line in raw.splitlines()]
    lines = [line for line in lines if line]
    lines = strip_header(lines)
    lines = [ln for ln in lines if len(ln) > WATERMARK_MAX_CHARS or not WATERMARKS.match(ln)]
    front, body = split_toc(lines)
    body = drop_repeats(cut_footer(body))
    return front, body
