"""Plain text of one language → blocks, by the same rules as the text layouts (qa.corpus.parse).

Used when a `.txt` edition is paired with another format (`report.zh.txt` + `report.en.pdf`):
page noise and the table of contents are removed, numbered headings recognised, bullet lines
joined to the paragraph that introduces them, and the front matter gives the title.
"""

from __future__ import annotations

from pathlib import Path

from qa.corpus.clean import clean_lines
from qa.corpus.parse import line_lang, read_text, title_from_front
from qa.corpus.readers.registry import Block, Blocks, Reader, register
from qa.corpus.structure import heading_of, is_bullet


def text_blocks(raw: str, fallback_title: str = "") -> Blocks:
    front, body = clean_lines(raw)
    blocks: list[Block] = []
    for line in body:
        lang = line_lang(line)
        heading = heading_of(line, lang)
        if heading:
            blocks.append(Block(line, heading=heading.level + 1))  # level 1 is kept for a title
        elif is_bullet(line) and blocks and not blocks[-1].heading:
            blocks[-1].text += "\n" + line
        else:
            blocks.append(Block(line))
    title = title_from_front(front, fallback_title) if front else {}
    langs = [line_lang(b.text) for b in blocks[:50] if not b.heading]
    main = max(set(langs), key=langs.count) if langs else "zh"
    return Blocks(blocks, title.get(main, "") if title else "")


def read_text_blocks(path: Path) -> Blocks:
    return text_blocks(read_text(Path(path)))


# Not read by read_file: a .txt file is parsed by qa.corpus.parse (above, for an edition).
register(Reader("txt", (".txt",), read=None, plain_text=True))
