"""Gettext PO files (documentation translations) via polib (MIT): msgid/msgstr pairs."""

from __future__ import annotations

from pathlib import Path

from qa.corpus.readers.parallel import both_languages, clean_segment, lang_of
from qa.corpus.readers.registry import Reader, ReaderError, Units, register
from qa.text import detect_lang


def read_po(path: Path) -> Units:
    import polib

    name = Path(path).name
    try:
        catalogue = polib.pofile(str(path))
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise ReaderError(f"{name}: not a readable PO file ({exc})") from exc
    entries = [e for e in catalogue if e.msgid and e.msgstr and not e.obsolete and "fuzzy" not in e.flags]
    target = lang_of(catalogue.metadata.get("Language"))
    if target is None and entries:
        target = detect_lang(" ".join(e.msgstr for e in entries[:50]))
    pairs = []
    for entry in entries:
        source, translated = clean_segment(entry.msgid), clean_segment(entry.msgstr)
        pairs.append((translated, source) if target == "zh" else (source, translated))
    return both_languages(pairs, name, "translated entries")


register(Reader("po", (".po",), lambda path, _limits: read_po(path), parallel=True, plain_text=True))
