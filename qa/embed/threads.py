"""How many threads the next encoder call should use: the configured count, or fewer while
other processes hold the cores.

An OpenMP team only runs at full speed when every member has a core. The packaged encoder's
team meets at ~500 barriers per query; with a busy neighbour on a 2-core machine a 2-thread
team shares a core and pays a context switch per barrier, so one thread is faster then
(measured: 2 threads 37 ms, 1 thread 21 ms a query with one CPU-bound neighbour; 11 vs 20 ms on
an idle machine). The count of runnable tasks in /proc/loadavg is read before each call: one
read costs ~10 µs, next to a 10–20 ms encode.
"""

from __future__ import annotations

import ctypes
import glob
import math
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

LOADAVG = Path("/proc/loadavg")
# The Linux scheduler gives a task CPU in proportion to its weight; each nice level is ~1.25×.
NICE_STEP_WEIGHT = 1.25
MAX_NICE = 19


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity, which containers and taskset narrow)."""
    return len(os.sched_getaffinity(0))


def runnable_elsewhere(loadavg: Path = LOADAVG) -> int | None:
    """Runnable tasks on the machine other than the calling thread, or None when unknown."""
    try:
        running = int(loadavg.read_text().split()[3].split("/")[0])
    except (OSError, ValueError, IndexError):
        return None
    return max(running - 1, 0)


def nice_for_share(share: float) -> int:
    """The nice level at which a task competing with one default-priority task gets about
    `share` of the CPU (0 for a half or more: the default priority)."""
    if share >= 0.5:
        return 0
    weight_ratio = (1 - share) / share  # a default task's weight over this one's
    return min(MAX_NICE, max(0, round(math.log(weight_ratio, NICE_STEP_WEIGHT))))


def lower_thread_priority(level: int) -> int:
    """Run the calling thread at nice `level` or lower priority (Linux: nice is per thread, and
    the threads it starts later, such as an OpenMP team, inherit it); the level it now runs at.
    Never raises a priority (which needs privileges), so calling it again changes nothing."""
    if not hasattr(os, "setpriority"):
        return 0
    tid = threading.get_native_id()
    try:
        current = os.getpriority(os.PRIO_PROCESS, tid)
        if level > current:
            os.setpriority(os.PRIO_PROCESS, tid, min(MAX_NICE, level))
        return os.getpriority(os.PRIO_PROCESS, tid)
    except OSError:
        return 0


def run_at_lower_priority(level: int, work: Callable[[], T]) -> T:
    """`work()` on a thread of its own at nice `level`, its result or exception passed back: the
    calling thread keeps its priority (a priority once lowered cannot be raised again)."""
    outcome: dict[str, object] = {}

    def run() -> None:
        lower_thread_priority(level)
        try:
            outcome["result"] = work()
        except BaseException as exc:  # handed to the caller, which raises it
            outcome["error"] = exc

    worker = threading.Thread(target=run, name="qa-lowered", daemon=True)
    worker.start()
    worker.join()
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["result"]  # type: ignore[return-value]


def threads_for_call(configured: int, cores: int | None = None, others: int | None = None) -> int:
    """`configured`, lowered to the cores left free by other runnable tasks, never below 1."""
    if configured <= 1:
        return max(configured, 1)
    if others is None:
        others = runnable_elsewhere()
    if others is None:
        return configured
    cores = cores or usable_cores()
    return max(1, min(configured, cores - others))


class OpenMPRuntime:
    """One loaded copy of libgomp, addressed directly (each wheel bundles its own copy).

    `omp_set_num_threads` sets the *calling thread's* team size, so it must be called on the
    thread that then enters the library.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._lib = ctypes.CDLL(path)  # already loaded by its owner: the same handle
        self._lib.omp_get_max_threads.restype = ctypes.c_int
        self._lib.omp_set_num_threads.argtypes = [ctypes.c_int]

    def max_threads(self) -> int:
        return int(self._lib.omp_get_max_threads())

    def set_num_threads(self, count: int) -> None:
        self._lib.omp_set_num_threads(int(count))

    @classmethod
    def bundled_with(cls, package_dir: str) -> OpenMPRuntime | None:
        """The libgomp an auditwheel-repaired package ships in `<name>.libs/`, if any."""
        pattern = os.path.join(
            os.path.dirname(package_dir.rstrip("/")),
            os.path.basename(package_dir.rstrip("/")) + ".libs",
            "libgomp*.so*",
        )
        hits = sorted(glob.glob(pattern))
        return cls(hits[0]) if hits else None
