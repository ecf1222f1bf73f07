"""Run the real Milvus engine shipped in the `milvus-lite==2.5.1` wheel as a local server.

The wheel carries the C++ engine as an executable (`milvus_lite/lib/milvus DB_FILE HOST:PORT
LOG_LEVEL`, with its `lib/` folder on LD_LIBRARY_PATH). Started this way it speaks the same gRPC
protocol as a Milvus cluster, so `QA_MILVUS_URI=http://127.0.0.1:PORT` exercises exactly the code
a production deployment runs. Used by the tests and for a one-machine setup:

    python -m qa.store.milvus.engine /var/lib/qa/milvus.db 19530
"""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path


class EngineNotInstalled(RuntimeError):
    pass


def engine_binary() -> Path:
    """Path of the engine executable (found without importing milvus_lite, whose __init__ needs
    the removed pkg_resources)."""
    spec = importlib.util.find_spec("milvus_lite")
    if spec is None or spec.origin is None:
        raise EngineNotInstalled("milvus-lite is not installed: pip install -e '.[milvus]'")
    binary = Path(spec.origin).parent / "lib" / "milvus"
    if not binary.is_file():
        raise EngineNotInstalled(f"{binary} is missing: reinstall milvus-lite==2.5.1")
    return binary


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_engine(
    db_file: Path, port: int, host: str = "127.0.0.1", log_level: str = "ERROR", wait_seconds: float = 30.0
) -> subprocess.Popen:
    """Start the engine on `host:port` with its data in `db_file`; return once it accepts
    connections (raises RuntimeError if it exits or does not listen in time)."""
    binary = engine_binary()
    db_file.parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env["LD_LIBRARY_PATH"] = os.pathsep.join(p for p in (str(binary.parent), env.get("LD_LIBRARY_PATH")) if p)
    log_file = db_file.with_name(db_file.name + ".log")  # a file, so a chatty engine never blocks
    with open(log_file, "ab") as log:
        process = subprocess.Popen(
            [str(binary), str(db_file), f"{host}:{port}", log_level], env=env, stdout=log, stderr=log
        )
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"milvus engine exited with {process.returncode}: {log_file.read_text(errors='replace')[-2000:]}"
            )
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.05)
    stop_engine(process)
    raise RuntimeError(f"milvus engine did not listen on {host}:{port} within {wait_seconds:.0f} s")


def stop_engine(process: subprocess.Popen, timeout: float = 10.0) -> None:
    """SIGTERM (the engine flushes and exits), SIGKILL if it does not within `timeout`."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3):
        print("usage: python -m qa.store.milvus.engine DB_FILE PORT [HOST]", file=sys.stderr)
        return 2
    process = start_engine(Path(argv[0]), int(argv[1]), argv[2] if len(argv) == 3 else "127.0.0.1")
    print(
        f"milvus engine (pid {process.pid}) listening on http://{argv[2] if len(argv) == 3 else '127.0.0.1'}:{argv[1]}",
        flush=True,
    )
    try:
        return process.wait()
    except KeyboardInterrupt:
        stop_engine(process)
        return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
