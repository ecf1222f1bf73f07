"""Read an untrusted file in a child process with a time limit and a memory cap.

A hostile file (a PDF whose object graph never ends, a page that makes a parser spin, a
decompression bomb) can make a native library hang or swallow memory; in a child process the
worst case is a killed child and a clear error, never a stuck or crashed server.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

from qa.corpus.readers import Block, Blocks, Limits, ReaderError, Units, check_allowed, read_file

MEMORY_CAP_BYTES = 3 * 1024**3


def to_payload(result: Blocks | Units) -> dict:
    """A reader's result as JSON-ready data (what the child sends, what qa.corpus.parsed keeps)."""
    if isinstance(result, Units):
        return {"kind": "units", "pairs": result.pairs, "title": result.title}
    return {
        "kind": "blocks",
        "blocks": [asdict(b) for b in result.blocks],
        "title": result.title,
        "properties": result.properties,
    }


def from_payload(payload: dict) -> Blocks | Units:
    if payload["kind"] == "units":
        return Units([tuple(p) for p in payload["pairs"]], payload.get("title", ""))
    return Blocks([Block(**b) for b in payload["blocks"]], payload.get("title", ""), payload.get("properties", {}))


def read_isolated(path: Path, limits: Limits = Limits()) -> Blocks | Units:
    """read_file(path, limits) in a child process killed after limits.timeout_seconds."""
    path = Path(path)
    check_allowed(path, limits)  # cheap checks first, in process
    env = {**os.environ, "OMP_NUM_THREADS": "1", "QA_THREADS": "1"}
    args = [
        sys.executable,
        "-m",
        "qa.corpus.readers.isolated",
        str(path),
        json.dumps({**asdict(limits), "formats": list(limits.formats)}),
    ]
    try:
        done = subprocess.run(
            args, capture_output=True, timeout=limits.timeout_seconds, env=env, cwd=Path(__file__).resolve().parents[3]
        )
    except subprocess.TimeoutExpired as exc:
        raise ReaderError(
            f"{path.name}: reading took longer than {limits.timeout_seconds:g} s (QA_DOCUMENT_TIMEOUT_SECONDS); refused"
        ) from exc
    if done.returncode != 0:
        last = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no message"]
        raise ReaderError(f"{path.name}: the reader failed ({last[0][:300]})")
    payload = json.loads(done.stdout)
    if "error" in payload:
        raise ReaderError(payload["error"])
    return from_payload(payload)


def _child(path: str, limits_json: str) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP_BYTES, MEMORY_CAP_BYTES))
    raw = json.loads(limits_json)
    limits = Limits(**{**raw, "formats": tuple(raw["formats"])})
    try:
        result = read_file(Path(path), limits)
    except ReaderError as exc:
        payload = {"error": str(exc)}
    except MemoryError:
        payload = {"error": f"{Path(path).name}: reading needs more memory than allowed; refused"}
    else:
        payload = to_payload(result)
    sys.stdout.write(json.dumps(payload, ensure_ascii=False))


if __name__ == "__main__":
    _child(sys.argv[1], sys.argv[2])
