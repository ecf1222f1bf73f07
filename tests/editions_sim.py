"""Two simulated language editions of the demo paper, and strict F1 of an alignment against the truth.

The interleaved file, parsed by the text parser, is the ground truth: unit k is a Chinese
paragraph and the English paragraph(s) that translate it. Each edition is then perturbed the
way separately published editions differ — a paragraph merged with the next one, a paragraph
split in two at a sentence end, a paragraph missing from one edition, a stray line (a photo
credit, a share button) — and written as a file: the Chinese as a PDF, the English as a web page.
Every generated paragraph remembers the units it holds, so the true beads follow: a Chinese and
an English paragraph belong to one bead when they share a unit.
"""

from __future__ import annotations

import html
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

from qa.corpus.models import Document
from qa.text import split_sentences

NOISE = {
    "zh": [
        "图片来源：新华社",
        "责任编辑：张明",
        "扫一扫分享本页",
        "（本文图片均由国务院新闻办公室提供）",
        "字号：大 中 小",
        "打印本页",
        "【关闭窗口】",
    ],
    "en": [
        "Photo: Xinhua",
        "Editor: Zhang Ming",
        "Share this page",
        "Print",
        "Font size: A A A",
        "(All photos courtesy of the State Council Information Office)",
        "Close window",
    ],
}


@dataclass
class Scenario:
    name: str
    merge: float = 0.0  # share of units merged with the next one, in one edition
    split: float = 0.0  # share of units split in two, in one edition
    drop: float = 0.0  # share of units missing from one edition
    noise: float = 0.0  # stray lines per paragraph, in each edition


@dataclass
class GenPara:
    text: str
    units: frozenset[int]
    section: list[str] = field(default_factory=list)


def truth_units(paper: Document) -> list[dict]:
    """Units of the paper in order: {"zh": [texts], "en": [texts], "zh_section", "en_section"}."""
    by_id = {p.passage_id: p for p in paper.passages}
    units = []
    for alignment in paper.alignments:
        zh = [by_id[i] for i in alignment.zh]
        en = [by_id[i] for i in alignment.en]
        units.append(
            {
                "zh": [p.text for p in zh],
                "en": [p.text for p in en],
                "zh_section": zh[0].citation.section,
                "en_section": en[0].citation.section,
            }
        )
    return units


def _split(text: str, lang: str) -> list[str] | None:
    sentences = split_sentences(text, lang)
    if len(sentences) < 2:
        return None
    half = len(sentences) // 2
    sep = "" if lang == "zh" else " "
    return [sep.join(sentences[:half]).strip(), sep.join(sentences[half:]).strip()]


def make_edition_pair(units: list[dict], scenario: Scenario, seed: int) -> dict[str, list[GenPara]]:
    rng = random.Random(seed)
    editions: dict[str, list[GenPara]] = {}
    side_of = {k: rng.choice(("zh", "en")) for k in range(len(units))}
    action = {}
    for k in range(len(units)):
        r = rng.random()
        if r < scenario.merge:
            action[k] = "merge"
        elif r < scenario.merge + scenario.split:
            action[k] = "split"
        elif r < scenario.merge + scenario.split + scenario.drop:
            action[k] = "drop"
    for lang in ("zh", "en"):
        paras: list[GenPara] = []
        for k, unit in enumerate(units):
            mine = side_of[k] == lang
            act = action.get(k) if mine else None
            if act == "drop":
                continue
            section = unit[f"{lang}_section"]
            for text in unit[lang]:
                parts = _split(text, lang) if act == "split" else None
                for part in parts or [text]:
                    paras.append(GenPara(part, frozenset({k}), section))
            previous = paras[-2] if len(paras) >= 2 else None
            if (
                previous is not None
                and action.get(k - 1) == "merge"
                and side_of[k - 1] == lang
                and previous.section == section
                and previous.units == frozenset({k - 1})
            ):
                last = paras.pop()
                sep = "" if lang == "zh" else " "
                paras[-1] = GenPara(previous.text + sep + last.text, previous.units | last.units, section)
        noisy: list[GenPara] = []
        for para in paras:
            noisy.append(para)
            if rng.random() < scenario.noise:
                noisy.append(GenPara(rng.choice(NOISE[lang]), frozenset(), para.section))
        editions[lang] = noisy
    return editions


def true_beads(editions: dict[str, list[GenPara]]) -> set[tuple[frozenset, frozenset]]:
    """Connected components of 'shares a unit', with paragraphs on both sides."""
    beads = set()
    seen_zh: set[int] = set()
    for start, para in enumerate(editions["zh"]):
        if start in seen_zh or not para.units:
            continue
        zh, en, units = {start}, set(), set(para.units)
        grew = True
        while grew:
            grew = False
            for lang, side in (("zh", zh), ("en", en)):
                for i, p in enumerate(editions[lang]):
                    if i not in side and p.units & units:
                        side.add(i)
                        units |= p.units
                        grew = True
        seen_zh |= zh
        if en:
            beads.add((frozenset(zh), frozenset(en)))
    return beads


def _norm(text: str) -> str:
    return re.sub(r"[\s•]+", "", text)


def map_back(doc: Document, editions: dict[str, list[GenPara]]) -> dict[str, list[int]]:
    """Extracted passage id → the generated paragraph(s) its text came from."""
    out: dict[str, list[int]] = {}
    for lang in ("zh", "en"):
        gen = [_norm(p.text) for p in editions[lang]]
        exact = {t: i for i, t in enumerate(gen)}
        for passage in (p for p in doc.passages if p.lang == lang):
            text = _norm(passage.text)
            if text in exact:
                out[passage.passage_id] = [exact[text]]
            else:  # joined or cut by extraction: every generated paragraph it overlaps
                out[passage.passage_id] = [
                    i for i, g in enumerate(gen) if g and (g in text or (len(text) > 15 and text in g))
                ]
    return out


def predicted_beads(doc: Document, editions: dict[str, list[GenPara]]) -> set[tuple[frozenset, frozenset]]:
    origin = map_back(doc, editions)
    return {
        (frozenset(i for pid in a.zh for i in origin[pid]), frozenset(i for pid in a.en for i in origin[pid]))
        for a in doc.alignments
    }


def strict_f1(predicted: set, truth: set) -> float:
    hits = len(predicted & truth)
    if not hits:
        return 0.0
    precision, recall = hits / len(predicted), hits / len(truth)
    return 2 * precision * recall / (precision + recall)


# --- writers --------------------------------------------------------------------------------


def _blocks_with_headings(paras: list[GenPara]):
    """(kind, text) in order: headings whenever the section path changes, then paragraphs."""
    current: list[str] = []
    for para in paras:
        if para.section != current:
            common = 0
            while common < min(len(current), len(para.section)) and current[common] == para.section[common]:
                common += 1
            for level, heading in enumerate(para.section[common:], start=common + 1):
                yield f"h{level}", heading
            current = para.section
        yield "p", para.text


def write_html(paras: list[GenPara], title: str, path: Path) -> Path:
    body = []
    for kind, text in _blocks_with_headings(paras):
        if kind == "p":
            lines = text.split("\n")
            body.append(f"<p>{html.escape(lines[0])}</p>")
            if len(lines) > 1:
                body.append("<ul>" + "".join(f"<li>{html.escape(ln.lstrip('• '))}</li>" for ln in lines[1:]) + "</ul>")
        else:
            body.append(f"<{'h' + str(int(kind[1]) + 1)}>{html.escape(text)}</{'h' + str(int(kind[1]) + 1)}>")
    page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<script>window.tracker = function () {{ document.title = 'x'; }};</script></head>
<body><header><nav><a href="/">Home</a> | <a href="/news">News</a> | <a href="/docs">Documents</a></nav></header>
<article><h1>{html.escape(title)}</h1>
{chr(10).join(body)}
</article>
<aside><h3>Related</h3><ul><li><a href="/a">Another white paper</a></li></ul></aside>
<footer><p>Copyright © 2025 The State Council Information Office. All rights reserved.</p></footer>
<script>tracker();</script></body></html>"""
    path.write_text(page, encoding="utf-8")
    return path


# Chinese typesetting (Word's default, most printed white papers): Latin words and numbers in a
# Latin font, set a quarter em apart from the Chinese characters around them, never broken
# across lines; Chinese text breaks between any two characters.
AUTOSPACE_EM = 0.25
_PIECE = re.compile(r"[!-~]+| +|.", re.DOTALL)


def typeset(
    text: str, size: float, width: float, first_indent: float, fonts: tuple[str, str], string_width
) -> list[list[tuple[float, str, str]]]:
    """Lines of (x offset, font, piece) for `text`: CJK font for wide characters, Latin font for
    runs of ASCII, a gap between the two where Chinese meets a Latin letter or digit."""
    cjk, latin = fonts
    lines: list[list[tuple[float, str, str]]] = [[]]
    x, indent, previous = 0.0, first_indent, ""
    for piece in _PIECE.findall(text):
        font = latin if piece.isascii() else cjk
        if piece.isspace():
            if lines[-1]:  # a real space, written inside the run before it as a word processor does
                at, run_font, run = lines[-1][-1]
                lines[-1][-1] = (at, run_font, run + piece)
                x += string_width(piece, run_font, size)
            previous = piece
            continue
        gap = 0.0
        if (
            previous
            and not previous.isspace()
            and (previous.isascii() != piece.isascii())
            and (previous[-1].isalnum() if previous.isascii() else piece[0].isalnum())
        ):
            gap = AUTOSPACE_EM * size
        advance = string_width(piece, font, size)
        if lines[-1] and indent + x + gap + advance > width:
            lines.append([])
            x, indent, gap = 0.0, 0.0, 0.0
        lines[-1].append((indent + x + gap, font, piece))
        x += gap + advance
        previous = piece
    return [line for line in lines if line]


def write_pdf(paras: list[GenPara], title: str, path: Path) -> Path:
    """A Chinese PDF like a printed white paper: running header, page numbers, indented paragraphs,
    Latin text in a Latin font set apart from the Chinese (see `typeset`)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    font = "STSong-Light"  # an Adobe CJK font every PDF reader knows: nothing to embed
    fonts = (font, "Times-Roman")
    pdfmetrics.registerFont(UnicodeCIDFont(font))
    width, height = A4
    left, right, top, bottom = 72, width - 72, height - 80, 72
    pdf = canvas.Canvas(str(path), pagesize=A4)
    pdf.setTitle(title)
    state = {"y": top, "page": 1}

    def furniture() -> None:
        pdf.setFont(font, 9)
        pdf.drawCentredString(width / 2, height - 45, title)
        pdf.drawCentredString(width / 2, 40, f"- {state['page']} -")

    def need(space: float) -> None:
        if state["y"] - space < bottom:
            pdf.showPage()
            state["page"] += 1
            state["y"] = top
            furniture()

    def draw(line: list[tuple[float, str, str]], size: float) -> None:
        for x, piece_font, piece in line:
            pdf.setFont(piece_font, size)
            pdf.drawString(left + x, state["y"], piece)

    furniture()
    pdf.setFont(font, 20)
    pdf.drawCentredString(width / 2, state["y"], title)
    state["y"] -= 40
    sizes = {"h1": 15.0, "h2": 12.5, "p": 10.5}
    for kind, text in _blocks_with_headings(paras):
        size = sizes.get(kind, 12.0)
        if kind != "p":
            need(3 * size + 30)
            state["y"] -= 0.6 * size
            for line in typeset(text, size, right - left, 0.0, fonts, pdfmetrics.stringWidth):
                draw(line, size)
                state["y"] -= size * 1.6
            continue
        for k, part in enumerate(text.split("\n")):
            for line in typeset(part, size, right - left, 2 * size if k == 0 else 0.0, fonts, pdfmetrics.stringWidth):
                need(size * 1.6)
                draw(line, size)
                state["y"] -= size * 1.6
    pdf.save()
    return path
