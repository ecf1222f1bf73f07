"""qa: bilingual (中文 / English) semantic search and question answering with citations."""

import os as _os

__version__ = "0.1.0"
DEFAULT_THREADS = 2  # QA_THREADS when unset

# Native thread pools (OpenMP in the encoder, FAISS, torch) size themselves once, when their
# library loads, from OMP_NUM_THREADS, so it must be set before any of them is imported.
# Unset, each pool takes every core and spin-waits between calls: two workers on 2 cores then
# starved each other (measured: 4 instead of 70 queries/s each). QA_THREADS, when set, wins
# over an inherited OMP_NUM_THREADS.
_threads = _os.environ.get("QA_THREADS", "").strip()
if _threads.isdigit() and int(_threads) > 0:
    _os.environ["OMP_NUM_THREADS"] = _threads
else:
    _os.environ.setdefault("OMP_NUM_THREADS", str(DEFAULT_THREADS))
