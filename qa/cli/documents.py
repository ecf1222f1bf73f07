"""`qa ingest` (any supported format, or two editions) and `qa documents` (what the corpus holds).

Registered on the main group in qa/cli/__init__.py.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import click

from qa.cli.collections import collection_option, settings_for
from qa.cli.common import fail
from qa.corpus.errors import CorpusError
from qa.corpus.parse import slugify
from qa.corpus.readers import Limits
from qa.corpus.sources import corpus_sources, parse_name, parse_source
from qa.corpus.store import ingest, ingest_files, source_of
from qa.settings import Settings, get_settings
from qa.store.backends import open_store
from qa.store.base import StoreError


def _staged_pair(zh: Path, en: Path, doc_id: str, folder: Path) -> list[Path]:
    """Copies of two editions named as the corpus expects: <doc_id>.zh.<ext>, <doc_id>.en.<ext>."""
    out = []
    for lang, path in (("zh", zh), ("en", en)):
        target = folder / f"{doc_id}.{lang}{path.suffix.lower()}"
        shutil.copyfile(path, target)
        out.append(target)
    return out


@click.command("ingest")
@click.argument("path", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--zh",
    "zh",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The Chinese edition (with --en): two files of one document, any formats.",
)
@click.option(
    "--en", "en", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="The English edition (with --zh)."
)
@click.option("--doc-id", help="Id for the document (default: from the file name).")
@click.option("--no-build", is_flag=True, help="Only copy into the corpus; build later.")
@collection_option
@click.pass_context
def ingest_command(
    ctx: click.Context,
    path: Path | None,
    zh: Path | None,
    en: Path | None,
    doc_id: str | None,
    no_build: bool,
    collection: str,
) -> None:
    """Add a document to the corpus (and rebuild the index).

    PATH is a .txt (interleaved zh/en or one language), .md, .pdf, .html, .docx, a translation
    memory (.tmx, .xliff, .po), or one half of a `name.zh.<ext>` + `name.en.<ext>` pair (the other
    half is taken along). Or give two editions with --zh and --en.
    """
    settings = settings_for(collection)
    settings.corpus_dir.mkdir(parents=True, exist_ok=True)
    limits = Limits.from_settings(settings)
    if (zh is None) != (en is None):
        fail("give both --zh and --en, or one PATH")
    if (path is None) == (zh is None):
        fail("give one PATH, or two editions with --zh and --en")
    staging = Path(tempfile.mkdtemp(prefix="qa-ingest-"))
    try:
        if zh is not None and en is not None:
            name = parse_name(zh)
            doc_id = doc_id or slugify(name.stem if name else zh.stem)
            copies = ingest_files(_staged_pair(zh, en, doc_id, staging), settings.corpus_dir, limits=limits)
        elif path is not None and doc_id is not None:
            target = staging / f"{slugify(doc_id)}{''.join(path.suffixes[-1:]).lower()}"
            if path.name.endswith(".zh-en.txt"):
                target = staging / f"{slugify(doc_id)}.zh-en.txt"
            shutil.copyfile(path, target)
            copies = ingest_files([target], settings.corpus_dir, limits=limits)
        elif path is not None:
            copies = ingest(path, settings.corpus_dir, limits=limits)
        else:
            fail("give one PATH, or two editions with --zh and --en")
        doc = parse_source(source_of(copies), None, limits)
    except (CorpusError, ValueError, OSError) as exc:
        fail(str(exc))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    pages = sorted({p.citation.page for p in doc.passages if p.citation.page})
    click.echo(
        f"added {doc.doc_id} ({doc.format}): zh {doc.count('zh')}, en {doc.count('en')} passages"
        + (f" over {pages[-1]} pages" if pages else "")
        + f" from {' + '.join(doc.files)}"
    )
    if not no_build:
        # Through the root group, so listing documents never loads the encoder that build needs.
        root = ctx.find_root().command
        build = root.get_command(ctx, "build") if isinstance(root, click.Group) else None
        if build is None:
            fail("added; run `qa build` to index it")
        ctx.invoke(build, collection=collection)


def _index_view(settings: Settings) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    """(manifest, documents) of the live index version (any store), or None when there is none."""
    try:
        store = open_store(settings)
    except (StoreError, OSError, ValueError):
        return None
    return store.manifest, store.documents()


@click.command("documents")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def documents_command(as_json: bool) -> None:
    """List the corpus documents: files, passages per language, aligned units and weak alignments.

    Counts come from the live index; documents added since its build are marked "not indexed"
    (run `qa build`).
    """
    settings = get_settings()
    try:
        sources = corpus_sources(settings.corpus_dir)
    except CorpusError as exc:
        fail(str(exc))
    view = _index_view(settings)
    manifest, indexed = view if view else ({}, [])
    by_id = {d["doc_id"]: d for d in indexed}
    weak_all = manifest.get("alignment", {}).get("low_confidence", [])
    rows: list[dict[str, Any]] = []
    for source in sources:
        entry = by_id.get(source.doc_id)
        weak = [a for a in weak_all if any(i.startswith(source.doc_id + ".") for i in a.get("zh", []))]
        rows.append(
            {
                "doc_id": source.doc_id,
                "files": [p.name for p in source.files],
                "indexed": entry is not None,
                "format": entry.get("format") if entry else None,
                "passages": entry["passages"] if entry else None,
                "aligned_units": len(entry.get("alignments", [])) if entry else None,
                "weak_alignments": weak,
            }
        )
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo(f"no documents in {settings.corpus_dir}")
        return
    for row in rows:
        files = " + ".join(row["files"])
        if not row["indexed"]:
            click.secho(f"{row['doc_id']}  not indexed ({files}); run `qa build`", fg="yellow")
            continue
        counts = row["passages"]
        click.echo(
            f"{row['doc_id']}  {row['format']}  zh {counts['zh']} · en {counts['en']} passages  "
            f"{row['aligned_units']} aligned units  {len(row['weak_alignments'])} weak  ({files})"
        )
        for unit in row["weak_alignments"]:
            click.secho(
                f"  check: {unit['zh']} ↔ {unit['en']} (similarity {unit.get('similarity')}, "
                f"length {unit.get('length_score')}, margin {unit.get('margin')})",
                fg="yellow",
            )
