"""Readers: each format becomes paragraphs with their headings (and pages for PDF); bad files are refused.

Every fixture file is made here, small, with the library a publisher would use.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from qa.corpus.readers import (
    Blocks,
    Limits,
    Reader,
    ReaderError,
    Units,
    format_of,
    formats,
    parallel_formats,
    read_file,
)
from qa.corpus.readers.isolated import read_isolated
from qa.corpus.readers.registry import register
from qa.corpus.sources import corpus_sources, parse_source
from qa.corpus.store import ingest, load_documents

ZH_PARAS = [
    "中国于2021年7月正式启动全国碳排放权交易市场，覆盖全国60%以上的碳排放量，是全球覆盖排放量最大的碳市场。" * 2,
    "截至2024年底，全国可再生能源发电装机容量达到18.89亿千瓦，占全部发电装机的比重超过一半。" * 2,
    "城市建成区绿化覆盖率达到43.49%，人均公园绿地面积达到15.6平方米。" * 3,
]
EN_PARAS = [
    "China launched its national carbon emissions trading market in July 2021.",
    "By the end of 2024, installed renewable capacity reached 1.889 billion kilowatts.",
    "Green coverage in urban built-up areas reached 43.49 percent.",
]


def body(blocks: Blocks) -> list[str]:
    return [b.text for b in blocks.blocks if not b.heading]


def headings(blocks: Blocks) -> list[tuple[int, str]]:
    return [(b.heading, b.text) for b in blocks.blocks if b.heading]


# --- PDF ------------------------------------------------------------------------------------


def make_pdf(path: Path, pages: list[list[tuple[str, str]]], header: str = "") -> Path:
    """pages of (kind, text): "title", "h1", "h2", "p" (first line indented) or "cont" (a paragraph
    continued from the page before); lines wrapped at the margin, optional running header."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    font, (width, height) = "STSong-Light", A4
    pdf = canvas.Canvas(str(path), pagesize=A4)
    sizes = {"title": 20, "h1": 15, "h2": 12.5, "p": 10.5, "cont": 10.5}
    for number, page in enumerate(pages, 1):
        if header:
            pdf.setFont(font, 9)
            pdf.drawCentredString(width / 2, height - 45, header)
            pdf.drawCentredString(width / 2, 40, f"- {number} -")
        y = height - 90
        for kind, text in page:
            size = sizes[kind]
            pdf.setFont(font, size)
            line, indent = "", 2 * size if kind == "p" else 0
            for char in text:
                if pdfmetrics.stringWidth(line + char, font, size) > width - 144 - indent:
                    pdf.drawString(72 + indent, y, line)
                    y, line, indent = y - 1.6 * size, "", 0
                line += char
            pdf.drawString(72 + indent, y, line)
            y -= 1.6 * size + (6 if kind != "p" else 0)
        pdf.showPage()
    pdf.save()
    return path


def test_a_pdf_gives_paragraphs_headings_and_pages_without_running_headers(tmp_path):
    pages = [
        [
            ("title", "碳达峰碳中和的中国行动"),
            ("h1", "一、坚定不移推进碳达峰碳中和"),
            ("p", ZH_PARAS[0]),
            ("h2", "（一）市场机制"),
            ("p", ZH_PARAS[1]),
        ],
        [("p", ZH_PARAS[2]), ("h1", "二、能源绿色低碳转型"), ("p", ZH_PARAS[0][:40] + "。")],
        [("p", ZH_PARAS[1])],
    ]
    blocks = read_file(make_pdf(tmp_path / "r.pdf", pages, header="国务院新闻办公室"))
    assert body(blocks) == [ZH_PARAS[0], ZH_PARAS[1], ZH_PARAS[2], ZH_PARAS[0][:40] + "。", ZH_PARAS[1]]
    assert headings(blocks) == [
        (1, "碳达峰碳中和的中国行动"),
        (2, "一、坚定不移推进碳达峰碳中和"),
        (3, "（一）市场机制"),
        (2, "二、能源绿色低碳转型"),
    ]
    assert [b.page for b in blocks.blocks if not b.heading] == [1, 1, 2, 2, 3]
    assert not any("国务院新闻办公室" in b.text or "- 2 -" in b.text for b in blocks.blocks)


def test_a_paragraph_running_over_a_page_break_stays_one_paragraph_on_its_first_page(tmp_path):
    long = "城市建成区绿化覆盖率持续提高人均公园绿地面积不断增加" * 8 + "。"
    cut = 40 + 42 * 2  # full-width characters: page 1 ends on a full line (indent, then 2 lines)
    pages = [[("p", ZH_PARAS[0]), ("p", long[:cut])], [("cont", long[cut:]), ("p", ZH_PARAS[1])]]
    blocks = read_file(make_pdf(tmp_path / "r.pdf", pages))
    assert body(blocks) == [ZH_PARAS[0], long, ZH_PARAS[1]]
    assert [b.page for b in blocks.blocks] == [1, 1, 2]


MIXED = [
    "中国于2021年7月正式启动全国碳市场，首个履约周期覆盖约45亿吨二氧化碳，纳入发电企业2162家。",
    "研究团队使用 Python 和 FAISS index 搭建检索系统，在 10 GW 级电站的“1+N”数据上测试。",
    "发布产品碳足迹核算通则《温室气体 产品碳足迹 量化要求和指南》，共涉及38项标准。",
    "PM2.5平均浓度下降到29.3微克/立方米，carbon capture and storage 示范项目超过100个。",
]


def test_a_chinese_pdf_keeps_its_spacing_exactly_as_written(tmp_path):
    # Typeset as a word processor does: Latin text in a Latin font, set a quarter em apart from
    # the Chinese, real spaces written as characters. Gaps are not spaces.
    from tests.editions_sim import GenPara, write_pdf

    paras = [GenPara(text * 2, frozenset()) for text in MIXED]
    blocks = read_file(write_pdf(paras, "混合排版", tmp_path / "mixed.pdf"))
    assert body(blocks) == [p.text for p in paras]


def test_english_words_drawn_apart_without_space_characters_keep_their_spaces(tmp_path):
    # Many PDFs position each word instead of writing spaces: those gaps are real word spaces.
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(tmp_path / "words.pdf"))
    x = 72.0
    pdf.setFont("Times-Roman", 11)
    for word in EN_PARAS[0].split():
        pdf.drawString(x, 700, word)
        x += pdfmetrics.stringWidth(word + " ", "Times-Roman", 11)
    pdf.save()
    assert body(read_file(tmp_path / "words.pdf")) == [EN_PARAS[0]]


def test_lines_of_chinese_text_join_without_a_space_even_inside_a_number():
    from qa.corpus.readers.pdf import Line, reflow

    def line(text: str, y: float, x0: float = 72.0, x1: float = 520.0) -> Line:
        return Line(text, 1, x0, y, x1, y + 10.5, 10.5, False)

    zh = [
        line("城市建成区绿化覆盖率达到43.4", 100, x0=93.0),
        line("9%，人均公园绿地面积达到15", 117),
        line("平方米，采用 carbon capture", 134),
        line("and storage 技术。", 151, x1=200.0),
    ]
    en = [line("Green coverage in urban built-up", 200, x0=93.0), line("areas reached 43.49 percent.", 217, x1=300.0)]
    assert [b.text for b in reflow(zh + en)] == [
        "城市建成区绿化覆盖率达到43.49%，人均公园绿地面积达到15平方米，采用 carbon capture and storage 技术。",
        EN_PARAS[2],
    ]


def test_a_scanned_pdf_without_text_is_refused_with_a_message(tmp_path):
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(tmp_path / "scan.pdf"))
    for _ in range(2):
        pdf.rect(50, 50, 400, 600, fill=1)  # an "image" of a page: no text layer
        pdf.showPage()
    pdf.save()
    with pytest.raises(ReaderError, match="no text layer"):
        read_file(tmp_path / "scan.pdf")


def test_a_pdf_over_the_page_limit_or_broken_is_refused(tmp_path):
    path = make_pdf(tmp_path / "r.pdf", [[("p", ZH_PARAS[0])]] * 3)
    with pytest.raises(ReaderError, match="3 pages is more than the 2-page limit"):
        read_file(path, Limits(max_pages=2))
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(path.read_bytes()[:400])  # cut off: no objects, no xref, no end
    with pytest.raises(ReaderError, match="broken.pdf"):
        read_file(broken)
    garbage = tmp_path / "garbage.pdf"
    garbage.write_bytes(b"%PDF-1.7\n" + b"1 0 obj << /Kids [1 0 R] /Type /Pages >> endobj\n" * 1000)
    with pytest.raises(ReaderError):
        read_file(garbage)


# --- HTML -----------------------------------------------------------------------------------

PAGE = """<!doctype html><html><head><title>Report</title><script>var secret = "SCRIPT TEXT";</script>
<style>p {{ color: red }}</style></head><body>
<nav><a href="/">Home</a> | <a href="/news">News</a> | <a href="/about">About us</a></nav>
<article><h1>Carbon Peaking: China's Plans</h1>
<h2>I. Staying Committed</h2><p>{0}</p>
<h3>1. Markets</h3><p>{1}</p><ul><li>first item of the list</li><li>second item of the list</li></ul>
<h2>II. Energy</h2><p>{2}</p>
<script>document.write("INJECTED TEXT")</script><iframe src="https://evil.example"></iframe>
</article><footer><p>Copyright 2025 · Contact · Privacy</p></footer></body></html>"""


def test_html_gives_the_article_only_with_its_headings_and_lists(tmp_path):
    path = tmp_path / "r.en.html"
    path.write_text(PAGE.format(*EN_PARAS), encoding="utf-8")
    blocks = read_file(path)
    assert body(blocks) == [
        EN_PARAS[0],
        EN_PARAS[1] + "\n• first item of the list\n• second item of the list",
        EN_PARAS[2],
    ]
    assert headings(blocks) == [
        (1, "Carbon Peaking: China's Plans"),
        (2, "I. Staying Committed"),
        (3, "1. Markets"),
        (2, "II. Energy"),
    ]
    text = " ".join(b.text for b in blocks.blocks)
    for noise in ("SCRIPT TEXT", "INJECTED", "Copyright", "Home", "color"):
        assert noise not in text


def test_an_article_over_two_pages_is_joined_into_one_document(tmp_path):
    (tmp_path / "story.html").write_text(PAGE.format(*EN_PARAS), encoding="utf-8")
    (tmp_path / "story.part2.html").write_text(
        PAGE.replace("I. Staying", "III. More")
        .replace("1. Markets", "2. More")
        .replace("II. Energy", "IV. End")
        .format("Page two starts with this paragraph about forests.", "Then wetlands.", "And the end."),
        encoding="utf-8",
    )
    (source,) = corpus_sources(tmp_path)
    doc = parse_source(source)
    texts = [p.text.split("\n")[0] for p in doc.passages]
    assert texts == [*EN_PARAS, "Page two starts with this paragraph about forests.", "Then wetlands.", "And the end."]
    assert doc.files == ["story.html", "story.part2.html"]
    assert doc.passages[3].citation.section == ["III. More Committed"]


# --- DOCX -----------------------------------------------------------------------------------


def make_docx(path: Path, paras: list[str]) -> Path:
    import docx

    document = docx.Document()
    document.core_properties.title = "碳达峰碳中和的中国行动"
    document.add_heading("一、坚定不移推进碳达峰碳中和", level=1)
    document.add_paragraph(paras[0])
    document.add_heading("（一）市场机制", level=2)
    document.add_paragraph(paras[1])
    document.add_paragraph("要点一", style="List Bullet")
    document.add_paragraph("一、这一行看起来像标题但只是正文样式")
    document.save(str(path))
    return path


def test_docx_headings_come_from_word_styles_not_from_how_a_line_looks(tmp_path):
    blocks = read_file(make_docx(tmp_path / "r.docx", ZH_PARAS))
    assert headings(blocks) == [(2, "一、坚定不移推进碳达峰碳中和"), (3, "（一）市场机制")]
    assert body(blocks) == [ZH_PARAS[0], ZH_PARAS[1] + "\n• 要点一", "一、这一行看起来像标题但只是正文样式"]
    assert blocks.title == "碳达峰碳中和的中国行动"


def test_a_zip_bomb_docx_is_refused_before_it_is_unpacked(tmp_path):
    bomb = tmp_path / "bomb.docx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"\0" * (20 * 1024 * 1024))  # ~20 KB compressed
    assert bomb.stat().st_size < 100_000
    with pytest.raises(ReaderError, match="zip bomb"):
        read_file(bomb, Limits(max_unzipped_bytes=10 * 1024 * 1024))
    with pytest.raises(ReaderError, match="zip bomb"):
        read_file(bomb)  # the ratio check alone catches it
    not_zip = tmp_path / "fake.docx"
    not_zip.write_text("hello")
    with pytest.raises(ReaderError, match="not a valid DOCX"):
        read_file(not_zip)


# --- Markdown -------------------------------------------------------------------------------


def test_markdown_headings_paragraphs_and_lists(tmp_path):
    path = tmp_path / "notes.md"
    path.write_text(
        "# Title\n\n## Section one\n\nFirst line of a paragraph\ncontinued here.\n\n"
        "- item **one**\n- item [two](https://x.org)\n\n```\ncode is skipped\n```\n\n"
        "Section two\n-----------\n\n第一行\n第二行。\n",
        encoding="utf-8",
    )
    blocks = read_file(path)
    assert headings(blocks) == [(1, "Title"), (2, "Section one"), (2, "Section two")]
    assert body(blocks) == ["First line of a paragraph continued here.\n• item one\n• item two", "第一行第二行。"]


# --- translation memories -------------------------------------------------------------------

TMX = """<?xml version="1.0" encoding="UTF-16"?>
<tmx version="1.4"><header srclang="zh-CN" datatype="plaintext" segtype="paragraph" adminlang="en"
 creationtool="x" creationtoolversion="1" o-tmf="x"/><body>
<tu><tuv xml:lang="zh-CN"><seg>全国碳市场<bpt i="1">&lt;b&gt;</bpt>覆盖<ept i="1">&lt;/b&gt;</ept>约51亿吨。</seg></tuv>
    <tuv xml:lang="en-US"><seg>The national carbon market <bpt i="1">&lt;b&gt;</bpt>covers<ept i="1">&lt;/b&gt;</ept> about 5.1 billion tons.</seg></tuv></tu>
<tu><tuv lang="ZH"><seg>第二个单元。</seg></tuv><tuv lang="EN"><seg>The second <hi>unit</hi>.</seg></tuv></tu>
<tu><tuv xml:lang="fr"><seg>Une unité.</seg></tuv><tuv xml:lang="en"><seg>A unit.</seg></tuv></tu>
</body></tmx>"""


def test_tmx_in_utf16_with_old_lang_attributes_and_inline_codes(tmp_path):
    path = tmp_path / "memory.tmx"
    path.write_bytes(TMX.encode("utf-16"))
    units = read_file(path)
    assert isinstance(units, Units)
    assert units.pairs == [
        ("全国碳市场覆盖约51亿吨。", "The national carbon market covers about 5.1 billion tons."),
        ("第二个单元。", "The second unit."),
    ]


def test_xliff_1_2_and_2_0(tmp_path):
    v12 = tmp_path / "a.xlf"
    v12.write_text(
        """<?xml version="1.0"?><xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2">
<file source-language="en" target-language="zh-CN" datatype="plaintext" original="x"><body>
<trans-unit id="1"><source>Hello <g id="1">world</g><x id="2"/>.</source><target>你好<g id="1">世界</g>。</target></trans-unit>
<trans-unit id="2"><source>Untranslated.</source></trans-unit>
</body></file></xliff>""",
        encoding="utf-8",
    )
    v20 = tmp_path / "b.xliff"
    v20.write_text(
        """<?xml version="1.0"?><xliff version="2.0" xmlns="urn:oasis:names:tc:xliff:document:2.0"
 srcLang="zh" trgLang="en"><file id="f"><unit id="u1"><segment><source>碳中和<ph id="1"/>目标。</source>
<target>The carbon <pc id="2">neutrality</pc> goal.</target></segment></unit></file></xliff>""",
        encoding="utf-8",
    )
    assert read_file(v12).pairs == [("你好世界。", "Hello world.")]
    assert read_file(v20).pairs == [("碳中和目标。", "The carbon neutrality goal.")]


def test_po_entries_are_pairs_and_fuzzy_or_empty_ones_are_skipped(tmp_path):
    path = tmp_path / "docs.po"
    path.write_text(
        'msgid ""\nmsgstr ""\n"Language: zh_CN\\n"\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Install the package first."\nmsgstr "先安装软件包。"\n\n'
        '#, fuzzy\nmsgid "Old text."\nmsgstr "旧文本。"\n\n'
        'msgid "Not yet."\nmsgstr ""\n',
        encoding="utf-8",
    )
    assert read_file(path).pairs == [("先安装软件包。", "Install the package first.")]


def test_xml_with_entity_expansion_is_not_expanded(tmp_path):
    path = tmp_path / "laughs.tmx"
    path.write_text(
        '<?xml version="1.0"?><!DOCTYPE tmx [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
        '<tmx version="1.4"><body><tu><tuv xml:lang="zh"><seg>&c;中文</seg></tuv>'
        '<tuv xml:lang="en"><seg>&c;English</seg></tuv></tu></body></tmx>',
        encoding="utf-8",
    )
    units = read_file(path)
    assert all("aaaa" not in text for pair in units.pairs for text in pair)


# --- limits, isolation and the corpus folder -------------------------------------------------


def test_unknown_types_empty_and_oversized_files_are_refused(tmp_path):
    exe = tmp_path / "tool.exe"
    exe.write_bytes(b"MZ")
    with pytest.raises(ReaderError, match="unsupported file type"):
        read_file(exe)
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"")
    with pytest.raises(ReaderError, match="empty"):
        read_file(empty)
    page = tmp_path / "page.html"
    page.write_text(PAGE.format(*EN_PARAS))
    with pytest.raises(ReaderError, match="limit"):
        read_file(page, Limits(max_bytes=100))
    with pytest.raises(ReaderError, match="unsupported"):
        read_file(page, Limits(formats=("pdf",)))


def test_the_isolated_reader_gives_the_same_blocks_and_stops_a_reader_that_runs_too_long(tmp_path):
    path = make_docx(tmp_path / "r.docx", ZH_PARAS)
    assert read_isolated(path) == read_file(path)
    with pytest.raises(ReaderError, match="longer than"):
        read_isolated(path, Limits(timeout_seconds=0.01))  # not even Python starts this fast


def test_a_pdf_and_a_web_page_of_one_document_become_one_aligned_pair(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    make_pdf(
        tmp_path / "report.zh.pdf",
        [[("title", "报告"), ("h1", "一、概况"), ("p", ZH_PARAS[0]), ("p", ZH_PARAS[1])], [("p", ZH_PARAS[2])]],
    )
    (tmp_path / "report.en.html").write_text(
        PAGE.replace("<h3>1. Markets</h3>", "")
        .replace("<h2>II. Energy</h2>", "")
        .replace("I. Staying Committed", "I. Overview")
        .format(*EN_PARAS),
        encoding="utf-8",
    )
    copies = ingest(tmp_path / "report.zh.pdf", corpus)
    assert sorted(p.name for p in copies) == ["report.en.html", "report.zh.pdf"]
    (doc,) = load_documents(corpus)
    assert doc.doc_id == "report" and doc.format == "pair"
    assert (doc.count("zh"), doc.count("en")) == (3, 3)
    zh = [p for p in doc.passages if p.lang == "zh"]
    assert [p.citation.page for p in zh] == [1, 1, 2]
    assert zh[0].citation.section == ["一、概况"] and doc.title["zh"] == "报告"
    assert all(p.citation.page is None for p in doc.passages if p.lang == "en")
    assert len(doc.alignments) == 3


def test_a_translation_memory_in_the_corpus_is_a_parallel_document(tmp_path):
    (tmp_path / "memory.tmx").write_bytes(TMX.encode("utf-16"))
    (doc,) = load_documents(tmp_path)
    assert doc.format == "parallel" and doc.aligned_by == "given"
    assert [(a.zh, a.en) for a in doc.alignments] == [
        (["memory.zh.0001"], ["memory.en.0001"]),
        (["memory.zh.0002"], ["memory.en.0002"]),
    ]


def test_the_formats_settings_accept_are_the_registered_readers():
    from qa.settings import Settings

    limits = Limits.from_settings(Settings(document_formats="PDF, .html", max_document_pages=7))
    assert limits.formats == ("pdf", "html") and limits.max_pages == 7
    with pytest.raises(ValueError, match=r"unknown document formats \['exe'\]"):
        Limits.from_settings(Settings(document_formats="pdf,exe"))


def test_every_reader_registers_its_format_and_no_extension_names_two():
    assert sorted(formats()) == ["docx", "html", "md", "pdf", "po", "tmx", "txt", "xliff"]
    assert sorted(parallel_formats()) == ["po", "tmx", "xliff"]
    with pytest.raises(ValueError, match="already name another format"):
        register(Reader("notes", (".md",), None))
    assert format_of(Path("a.md")) == "md"
