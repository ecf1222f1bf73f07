"""Reader results kept by file content, so a file is read in the child process once.

The upload route reads every file in a child process with a time and memory limit
(qa.corpus.readers.isolated), and the build reads the corpus again. Both read through
`ParsedFiles`: the child's result is kept under sha256(parser version, limits, file bytes), so
the build uses what the child read at upload time as it is, and a file the build has not seen
(put in the corpus folder by hand, or under changed limits) is read in a child process too. No
file of a non-text format is ever parsed in the server process. Plain text needs no reader: it
is decoded and split in process, with the same size limits checked on the result.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from qa.corpus.readers import Blocks, Limits, Units
from qa.corpus.readers.isolated import from_payload, read_isolated, to_payload
from qa.corpus.store import PARSER_VERSION
from qa.fsutil import atomic_write_text

log = logging.getLogger(__name__)

PARSED_DIR = "parsed-cache"  # in the index folder


class ParsedFiles:
    """A reader (`reader(path, limits)`, as parse_source takes) that reads in a child process
    and remembers the result; `prune` keeps only what was read since it was made."""

    def __init__(self, folder: Path, read: Callable[[Path, Limits], Blocks | Units] = read_isolated) -> None:
        self.folder = folder
        self.read = read
        self.used: set[str] = set()

    def key(self, path: Path, limits: Limits) -> str:
        digest = hashlib.sha256(f"parser:{PARSER_VERSION}\n".encode())
        digest.update(json.dumps({**asdict(limits), "formats": list(limits.formats)}, sort_keys=True).encode())
        digest.update(path.suffix.lower().encode() + b"\0")  # the reader is chosen by extension
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
        return digest.hexdigest()

    def __call__(self, path: Path, limits: Limits) -> Blocks | Units:
        kept = self.folder / f"{self.key(Path(path), limits)}.json"
        self.used.add(kept.name)
        if kept.is_file():
            try:
                return from_payload(json.loads(kept.read_text(encoding="utf-8")))
            except (ValueError, TypeError, KeyError) as exc:  # damaged: read it again
                log.warning("ignoring the parsed copy %s (%s)", kept, exc)
        result = self.read(Path(path), limits)
        atomic_write_text(kept, json.dumps(to_payload(result), ensure_ascii=False))
        return result

    def prune(self) -> None:
        """Forget the files not read through this reader (a finished build's corpus)."""
        for kept in self.folder.glob("*.json") if self.folder.is_dir() else ():
            if kept.name not in self.used:
                kept.unlink(missing_ok=True)
