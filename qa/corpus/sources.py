"""Which files of the corpus folder make up which document, and parsing one document.

File names say the layout: `name[.zh|.en|.zh-en][.partN].ext`.
- `name.zh.<ext>` + `name.en.<ext>` (any two formats): two language editions of one document;
  a Chinese edition may name its script, `name.zh-Hant.<ext>` (also zh-Hans, zh-TW, zh-HK);
- `name.partN.html` (N = 2, 3, …) continues `name.html`: an article published over pages;
- `name.tmx` / `.xliff` / `.xlf` / `.po`: translation units, aligned already;
- `name.zh-en.txt` or `name.txt` with both languages interleaved (the white paper);
- any other single file: one language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from qa.corpus.editions import editions_document, single_edition_document, units_document
from qa.corpus.errors import CorpusError
from qa.corpus.meaning import Embed
from qa.corpus.metadata import Metadata, merge_metadata, read_sidecar, sidecar_path, split_front_matter
from qa.corpus.models import Document
from qa.corpus.parse import looks_interleaved, parse_interleaved, parse_monolingual, parse_pair, read_text, slugify
from qa.corpus.readers import Blocks, Limits, Units, format_of, read_file
from qa.corpus.readers.text import text_blocks
from qa.text.terms import TERMS_FILES

_PART = re.compile(r"^(?P<base>.+)\.part(?P<n>\d{1,3})$")
IGNORED = {"README.md", *TERMS_FILES}  # the terms files are read by qa.text.terms
# A Chinese edition named by its script or region is the Chinese edition all the same.
CHINESE_TAGS = ("zh-Hant", "zh-Hans", "zh-TW", "zh-HK")


@dataclass(frozen=True)
class FileName:
    stem: str
    lang: str | None  # "zh" (any Chinese script or region), "en", "zh-en" or None
    part: int
    fmt: str


def parse_name(path: Path) -> FileName | None:
    """The parts of a corpus file name, or None for files that are not documents."""
    path = Path(path)
    fmt = format_of(path)
    if fmt is None or path.name in IGNORED or path.name.startswith("."):
        return None
    base = path.name[: -len(path.suffix)]
    part = 1
    match = _PART.match(base)
    if match:
        base, part = match["base"], int(match["n"])
    lang = None
    for tag in ("zh-en", *CHINESE_TAGS, "zh", "en"):
        if base.lower().endswith("." + tag.lower()):
            base, lang = base[: -len(tag) - 1], "zh" if tag in CHINESE_TAGS else tag
            break
    return FileName(base, lang, part, fmt)


@dataclass
class Source:
    """The files of one document: per edition ("zh", "en", or "" for a single file), in page order."""

    doc_id: str
    editions: dict[str, list[Path]] = field(default_factory=dict)

    @property
    def files(self) -> list[Path]:
        return [p for key in sorted(self.editions) for p in self.editions[key]]

    @property
    def is_pair(self) -> bool:
        return "zh" in self.editions and "en" in self.editions

    @property
    def label(self) -> str:
        return " + ".join(p.name for p in self.files)


def group_sources(paths: list[Path]) -> list[Source]:
    """Group files into documents by name; a lone language edition counts as a single file."""
    grouped: dict[str, dict[str, list[tuple[int, Path]]]] = {}
    for path in sorted(paths):
        name = parse_name(path)
        if name is None:
            continue
        key = {"zh": "zh", "en": "en"}.get(name.lang or "", "")
        grouped.setdefault(name.stem, {}).setdefault(key, []).append((name.part, path))
    sources = []
    for stem, editions in sorted(grouped.items()):
        ordered = {k: [p for _, p in sorted(v)] for k, v in editions.items()}
        if not ("zh" in ordered and "en" in ordered):
            # A lone `.zh.pdf` is a single-language document; several singles of one stem clash
            # on purpose (load_documents names both).
            for paths_ in ordered.values():
                sources.append(Source(slugify(stem), {"": paths_}))
            continue
        if "" in ordered:
            sources.append(Source(slugify(stem), {"": ordered.pop("")}))
        sources.append(Source(slugify(stem), ordered))
    return sources


def corpus_sources(corpus_dir: Path) -> list[Source]:
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus folder {corpus_dir} does not exist")
    return group_sources([p for p in corpus_dir.iterdir() if p.is_file()])


def _edition(paths: list[Path], limits: Limits, reader) -> Blocks | Units:
    """One edition, possibly over several pages (files) joined in order."""
    parts = [_read_one(p, limits, reader) for p in paths]
    if len(parts) == 1:
        return parts[0]
    if any(isinstance(p, Units) for p in parts):
        return Units([pair for p in parts for pair in p.pairs], parts[0].title)
    blocks = []
    for i, part in enumerate(parts):
        # Later pages repeat the article's title as their first heading.
        skip = (
            1
            if i
            and part.blocks
            and part.blocks[0].heading
            and part.blocks[0].text in (parts[0].title, parts[0].blocks[0].text if parts[0].blocks else None)
            else 0
        )
        blocks.extend(part.blocks[skip:])
    return Blocks(blocks, parts[0].title, parts[0].properties if isinstance(parts[0], Blocks) else {})


def _read_one(path: Path, limits: Limits, reader) -> Blocks | Units:
    if format_of(path) == "txt":
        return text_blocks(read_text(path), "")
    return reader(path, limits)


def sidecar_of(source: Source) -> Path:
    """Where the document's `name.meta.json` is (whether or not it exists)."""
    first = source.files[0]
    name = parse_name(first)
    return sidecar_path(first, name.stem if name else first.stem)


def document_file_names(source: Source) -> list[str]:
    """Names of the files that make the document: its editions and pages, and its sidecar."""
    sidecar = sidecar_of(source)
    return [p.name for p in source.files] + ([sidecar.name] if sidecar.is_file() else [])


def parse_source(source: Source, embed: Embed | None = None, limits: Limits = Limits(), reader=read_file) -> Document:
    """Parse one document; `reader(path, limits)` reads non-text files (isolated for uploads).
    Its metadata: the sidecar's fields over the file's own (front matter, title and date)."""
    files = source.files
    label = source.label
    properties: Metadata = {}
    if source.is_pair:
        zh_paths, en_paths = source.editions["zh"], source.editions["en"]
        if embed is None and all(format_of(p) == "txt" for p in files) and len(files) == 2:
            doc = parse_pair(source.doc_id, read_text(zh_paths[0]), read_text(en_paths[0]), source=label)
            doc.aligned_by = "length"
        else:
            zh, en = _edition(zh_paths, limits, reader), _edition(en_paths, limits, reader)
            properties = merge_metadata(*(e.properties for e in (en, zh) if isinstance(e, Blocks)))
            if isinstance(zh, Units) or isinstance(en, Units):
                raise CorpusError(
                    f"{label}: a translation memory holds both languages; give it as one file, not as one edition"
                )
            doc = editions_document(source.doc_id, zh, en, label, embed)
            doc.aligned_by = "meaning" if embed is not None else "length"
    else:
        path = files[0]
        fmt = format_of(path)
        raw = read_text(path) if fmt in ("txt", "md") else ""
        if fmt == "md":
            properties, raw = split_front_matter(raw, path.name)
        if fmt == "txt" or (fmt == "md" and looks_interleaved(raw)):
            parse = parse_interleaved if looks_interleaved(raw) else parse_monolingual
            doc = parse(source.doc_id, raw, source=path.name)
            if doc.format == "interleaved":
                doc.aligned_by = "length"
        else:
            content = _edition(files, limits, reader)
            if isinstance(content, Units):
                doc = units_document(source.doc_id, content, label)
                doc.aligned_by = "given"
            else:
                doc = single_edition_document(source.doc_id, content, label)
                properties = content.properties
    doc.files = [p.name for p in files]
    doc.metadata = merge_metadata(properties, read_sidecar(sidecar_of(source)))
    for passage in doc.passages:
        passage.metadata = doc.metadata
    return doc


def is_document_name(name: str) -> bool:
    return parse_name(Path(name)) is not None


__all__ = [
    "FileName",
    "Source",
    "corpus_sources",
    "group_sources",
    "is_document_name",
    "parse_name",
    "parse_source",
]
