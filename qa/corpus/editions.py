"""Documents from the readers' output: two language editions, one edition, or translation units.

Two editions (`report.zh.pdf` + `report.en.html`, any mix of formats) are aligned section by
section when both have the same top-level headings, else as one run: by meaning when an `embed`
function is given (qa.corpus.meaning), by paragraph length otherwise (qa.corpus.align).
A Chinese edition in Traditional characters is compared in its Simplified form (the embedding
model reads Simplified better); its passages keep the characters as written.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from qa.corpus.align import align_runs, zh_length
from qa.corpus.meaning import Embed, align_by_meaning, centre
from qa.corpus.models import Document
from qa.corpus.parse import Para, assemble
from qa.corpus.readers import Blocks, Units
from qa.corpus.structure import Heading, SectionTracker
from qa.text import detect_lang
from qa.text.script import to_simplified

Bead = tuple[list[int], list[int], float, float | None]  # zh rows, en rows, length score, similarity


def edition_lang(blocks: Blocks) -> str:
    """The language most of an edition's text is in."""
    sample = " ".join(b.text for b in blocks.blocks[:200] if not b.heading)
    return detect_lang(sample or " ".join(b.text for b in blocks.blocks))


def split_title(blocks: Blocks) -> tuple[str, list]:
    """(title, remaining blocks): a lone top-level heading that opens the edition is its title."""
    items = list(blocks.blocks)
    headings = [b for b in items if b.heading]
    if headings and items[0].heading:
        top = min(b.heading for b in headings)
        if items[0].heading == top and sum(b.heading == top for b in headings) == 1:
            return items[0].text, items[1:]
    return blocks.title, items


def edition_paras(blocks: Blocks, lang: str) -> tuple[str, list[Para]]:
    """(title, paragraphs with their section path and page)."""
    title, items = split_title(blocks)
    tracker = SectionTracker()
    paras: list[Para] = []
    for block in items:
        if block.heading:
            tracker.enter(Heading(block.heading, block.text))
        else:
            paras.append(Para(lang, block.text, list(tracker.path), page=block.page))
    return title, paras


def _sections(paras: Sequence[Para], rows: list[int]) -> list[list[int]]:
    """Rows grouped by their top-level section, in order."""
    groups: list[list[int]] = []
    last = object()
    for row in rows:
        key = paras[row].section[0] if paras[row].section else None
        if key != last or not groups:
            groups.append([])
            last = key
        groups[-1].append(row)
    return groups


def length_ratio(zh: Sequence[str], en: Sequence[str]) -> float:
    """English characters per Chinese character over the whole document (merges don't bias it)."""
    zh_total = sum(zh_length(t) for t in zh)
    return max(0.5, min(8.0, sum(len(t) for t in en) / zh_total)) if zh_total else 3.0


def matching_text(para: Para) -> str:
    """The text to compare by meaning: Chinese in Simplified characters, anything else as is."""
    return to_simplified(para.text) if para.lang == "zh" else para.text


def align_editions(paras: list[Para], zh_rows: list[int], en_rows: list[int], embed: Embed | None = None) -> list[Bead]:
    zh_groups, en_groups = _sections(paras, zh_rows), _sections(paras, en_rows)
    if len(zh_groups) != len(en_groups):
        zh_groups, en_groups = [zh_rows], [en_rows]
    ratio = length_ratio([paras[i].text for i in zh_rows], [paras[i].text for i in en_rows])
    beads: list[Bead] = []
    if embed is None:
        for zg, eg in zip(zh_groups, en_groups):
            for bead in align_runs([paras[i].text for i in zg], [paras[i].text for i in eg], ratio):
                beads.append(([zg[i] for i in bead.zh], [eg[j] for j in bead.en], bead.length_score, None))
        return beads
    vectors = np.asarray(embed([matching_text(p) for p in paras]), dtype=np.float32)
    zc, ec = np.zeros_like(vectors), np.zeros_like(vectors)
    zc[zh_rows], ec[en_rows] = centre(vectors[zh_rows]), centre(vectors[en_rows])
    for zg, eg in zip(zh_groups, en_groups):
        for bead in align_by_meaning(
            [paras[i].text for i in zg],
            [paras[i].text for i in eg],
            vectors[zg],
            vectors[eg],
            ratio,
            zc[zg],
            ec[eg],
            equal_editions=len(zh_rows) == len(en_rows),
        ):
            beads.append(
                (
                    [zg[i] for i in bead.zh],
                    [eg[j] for j in bead.en],
                    bead.length_score,
                    bead.similarity if bead.zh and bead.en else None,
                )
            )
    return beads


def editions_document(doc_id: str, zh: Blocks, en: Blocks, source: str, embed: Embed | None = None) -> Document:
    zh_title, zh_paras = edition_paras(zh, "zh")
    en_title, en_paras = edition_paras(en, "en")
    paras = zh_paras + en_paras
    zh_rows = list(range(len(zh_paras)))
    en_rows = list(range(len(zh_paras), len(paras)))
    beads = align_editions(paras, zh_rows, en_rows, embed)
    title = {"zh": zh_title or en_title or doc_id, "en": en_title or zh_title or doc_id}
    return assemble(doc_id, title, source, "pair", paras, beads)


def single_edition_document(doc_id: str, blocks: Blocks, source: str) -> Document:
    lang = edition_lang(blocks)
    title, paras = edition_paras(blocks, lang)
    title = title or doc_id
    return assemble(doc_id, {"zh": title, "en": title}, source, "monolingual", paras, [])


def units_document(doc_id: str, units: Units, source: str) -> Document:
    """Translation units are aligned already: unit k is zh paragraph k ↔ en paragraph k."""
    paras = [Para("zh", z, []) for z, _ in units.pairs] + [Para("en", e, []) for _, e in units.pairs]
    n = len(units.pairs)
    beads: list[Bead] = [([k], [n + k], 1.0, None) for k in range(n)]
    title = units.title or doc_id
    return assemble(doc_id, {"zh": title, "en": title}, source, "parallel", paras, beads)
