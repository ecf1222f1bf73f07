"""Turn one source document into cited, aligned passages (the shapes of qa.corpus.models).

Three layouts are understood:
- interleaved: a Chinese paragraph, then its English translation, line by line (the white paper);
- pair: `name.zh.txt` + `name.en.txt`, paragraph-aligned;
- monolingual: one file in one language (passages without translations).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from qa.corpus.align import align_runs, document_ratio
from qa.corpus.clean import clean_lines
from qa.corpus.models import Alignment, Citation, Document, Passage, Translation
from qa.corpus.structure import BULLET, SectionTracker, heading_of, is_bullet
from qa.text import detect_lang

LANGS = ("zh", "en")


@dataclass
class Para:
    lang: str
    text: str
    section: list[str]
    page: int | None = None


@dataclass
class Segment:
    """Paragraphs between two alignment points: a Chinese run and the English run after it."""

    zh: list[int] = field(default_factory=list)
    en: list[int] = field(default_factory=list)


def slugify(name: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-").lower()
    return slug or "doc"


def line_lang(line: str) -> str:
    return detect_lang(BULLET.sub("", line) if is_bullet(line) else line)


def title_from_front(front: list[str], fallback: str) -> dict[str, str]:
    """The first Chinese line and the English line(s) right after it ("A" + "B" → "A: B")."""
    title = {"zh": "", "en": ""}
    for i, line in enumerate(front):
        if line_lang(line) == "zh":
            title["zh"] = line
            en = []
            for nxt in front[i + 1 :]:
                if line_lang(nxt) != "en":
                    break
                en.append(nxt)
            title["en"] = ": ".join(en)
            break
    if not title["zh"] and front:
        title[line_lang(front[0])] = front[0]
    for lang in LANGS:
        title[lang] = title[lang] or title["zh"] or title["en"] or fallback
    return title


class _Walker:
    """Walks body lines, tracking section paths per language and collecting paragraphs."""

    def __init__(self) -> None:
        self.paras: list[Para] = []
        self.segments: list[Segment] = [Segment()]
        self.sections = {lang: SectionTracker() for lang in LANGS}

    def feed(self, line: str) -> None:
        lang = line_lang(line)
        heading = heading_of(line, lang)
        if heading:
            self._close_segment()
            self.sections[lang].enter(heading)
            return
        last = self.paras[-1] if self.paras else None
        if is_bullet(line) and last is not None and last.lang == lang:
            last.text += "\n" + line  # a bullet list belongs to the paragraph that introduces it
            return
        segment = self.segments[-1]
        if lang == "zh" and segment.en:
            self._close_segment()
        self.paras.append(Para(lang, line, list(self.sections[lang].path)))
        getattr(self.segments[-1], lang).append(len(self.paras) - 1)

    def _close_segment(self) -> None:
        if self.segments[-1].zh or self.segments[-1].en:
            self.segments.append(Segment())


def _align_segments(paras: list[Para], segments: list[Segment]) -> list[tuple[list[int], list[int], float]]:
    """Beads as (zh paragraph indices, en paragraph indices, length score)."""
    # Runs of equal length pair in order (all of a zh/en pair document): they calibrate the ratio.
    one_to_one = [
        (paras[z].text, paras[e].text) for s in segments if len(s.zh) == len(s.en) for z, e in zip(s.zh, s.en)
    ]
    ratio = document_ratio(one_to_one)
    beads = []
    for seg in segments:
        zh_texts = [paras[i].text for i in seg.zh]
        en_texts = [paras[i].text for i in seg.en]
        for bead in align_runs(zh_texts, en_texts, ratio):
            beads.append(([seg.zh[i] for i in bead.zh], [seg.en[i] for i in bead.en], bead.length_score))
    return beads


def assemble(
    doc_id: str, title: dict[str, str], source: str, layout: str, paras: list[Para], beads: list[tuple]
) -> Document:
    """Number paragraphs per language, give them ids and citations, and link translations."""
    counters = {lang: 0 for lang in LANGS}
    passages: list[Passage] = []
    for para in paras:
        counters[para.lang] += 1
        number = counters[para.lang]
        label = " · ".join([title[para.lang], *para.section, f"¶{number}"])
        passages.append(
            Passage(
                passage_id=f"{doc_id}.{para.lang}.{number:04d}",
                doc_id=doc_id,
                lang=para.lang,
                text=para.text,
                citation=Citation(
                    doc_title=title[para.lang], section=para.section, paragraph=number, label=label, page=para.page
                ),
            )
        )
    alignments = []
    for zh_idx, en_idx, score, *similarity in beads:
        for a, b in ((zh_idx, en_idx), (en_idx, zh_idx)):
            for i in a:
                passages[i].translations = [
                    Translation(passage_id=passages[j].passage_id, lang=passages[j].lang, text=passages[j].text)
                    for j in b
                ]
        if zh_idx and en_idx:
            alignments.append(
                Alignment(
                    zh=[passages[i].passage_id for i in zh_idx],
                    en=[passages[i].passage_id for i in en_idx],
                    length_score=round(score, 4),
                    similarity=similarity[0] if similarity else None,
                )
            )
    return Document(doc_id=doc_id, title=title, source=source, format=layout, passages=passages, alignments=alignments)


def parse_interleaved(doc_id: str, raw: str, source: str = "") -> Document:
    front, body = clean_lines(raw)
    walker = _Walker()
    for line in body:
        walker.feed(line)
    beads = _align_segments(walker.paras, walker.segments)
    return assemble(doc_id, title_from_front(front, doc_id), source, "interleaved", walker.paras, beads)


def _walk_monolingual(raw: str) -> tuple[list[str], _Walker]:
    front, body = clean_lines(raw)
    walker = _Walker()
    for line in body:
        walker.feed(line)
    return front, walker


def parse_pair(doc_id: str, zh_raw: str, en_raw: str, source: str = "") -> Document:
    zh_front, zh = _walk_monolingual(zh_raw)
    en_front, en = _walk_monolingual(en_raw)
    offset = len(zh.paras)
    paras = zh.paras + en.paras
    # Align section by section when both sides have the same headings, else as one run.
    zh_groups = [s.zh for s in zh.segments if s.zh]
    en_groups = [[i + offset for i in s.en] for s in en.segments if s.en]
    if len(zh_groups) != len(en_groups):
        zh_groups = [[i for g in zh_groups for i in g]]
        en_groups = [[i for g in en_groups for i in g]]
    segments = [Segment(z, e) for z, e in zip(zh_groups, en_groups)]
    beads = _align_segments(paras, segments)
    title = title_from_front(zh_front + en_front, doc_id)
    # Keep document order per language: all zh first is fine, numbering is per language.
    return assemble(doc_id, title, source, "pair", paras, beads)


def parse_monolingual(doc_id: str, raw: str, source: str = "") -> Document:
    front, walker = _walk_monolingual(raw)
    return assemble(doc_id, title_from_front(front, doc_id), source, "monolingual", walker.paras, [])


def looks_interleaved(raw: str) -> bool:
    """Both scripts on a fair share of lines: at least a fifth of the non-empty lines each."""
    lines = [line for line in raw.splitlines() if line.strip()]
    if not lines:
        return False
    zh = sum(1 for line in lines if detect_lang(line) == "zh")
    return min(zh, len(lines) - zh) >= 0.2 * len(lines)


def read_text(path: Path) -> str:
    return path.read_text(encoding="utf-8-sig", errors="replace")


def file_stem(path: Path) -> str:
    """The name without its layout suffix: `x.zh-en.txt`, `x.zh.txt`, `x.en.txt`, `x.txt` → x."""
    for suffix in (".zh-en.txt", ".zh.txt", ".en.txt", ".txt", ".md"):
        if path.name.endswith(suffix):
            return path.name[: -len(suffix)]
    return path.stem


def doc_id_for(path: Path) -> str:
    return slugify(file_stem(path))


def parse_path(path: Path) -> Document:
    """Parse a file (interleaved or monolingual) or a `name.zh.txt` whose `name.en.txt` exists."""
    name = path.name
    stem = file_stem(path)
    doc_id = slugify(stem)
    if name.endswith((".zh.txt", ".en.txt")):
        zh_path = path.with_name(f"{stem}.zh.txt")
        en_path = path.with_name(f"{stem}.en.txt")
        if zh_path.exists() and en_path.exists():
            return parse_pair(doc_id, read_text(zh_path), read_text(en_path), source=f"{zh_path.name} + {en_path.name}")
    raw = read_text(path)
    if looks_interleaved(raw):
        return parse_interleaved(doc_id, raw, source=name)
    return parse_monolingual(doc_id, raw, source=name)
