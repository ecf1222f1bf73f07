"""A private PostgreSQL cluster for the state store tests, on 127.0.0.1 and a free port.

Started once per session in a temp folder from Debian's server programs (scripts/postgres.sh
installs them), stopped by its PID at the end. PostgreSQL refuses to run as root, so as root
the cluster runs as the `postgres` system user (created by the Debian package).
"""

from __future__ import annotations

import glob
import os
import pwd
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

STARTUP_TIMEOUT_S = 60


def _free_port() -> int:
    """A port in 20000–60000 nobody listens on (random, so parallel sessions do not collide)."""
    for _ in range(100):
        port = random.randint(20000, 60000)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 20000-60000")


def _server_programs() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        pytest.fail("PostgreSQL is not installed: run scripts/postgres.sh (scripts/test.sh does)")
    return Path(found[-1]).parent


def _run_as() -> dict:
    """subprocess arguments that run a program as a user PostgreSQL accepts."""
    if os.geteuid() != 0:
        return {}
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        pytest.fail("running as root needs the `postgres` system user (Debian's postgresql package)")
    return {"user": "postgres", "group": "postgres"}


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    bindir = _server_programs()
    as_user = _run_as()
    root = Path(tempfile.mkdtemp(prefix="qa-pg-"))
    data, sockets = root / "data", root / "run"
    sockets.mkdir()
    if as_user:
        shutil.chown(root, "postgres", "postgres")
        shutil.chown(sockets, "postgres", "postgres")
    subprocess.run(
        [str(bindir / "initdb"), "-D", str(data), "-U", "qa", "-A", "trust", "-E", "UTF8", "--no-sync"],
        check=True,
        capture_output=True,
        timeout=120,
        **as_user,
    )
    port = _free_port()
    log = open(root / "server.log", "wb")
    server = subprocess.Popen(
        [
            str(bindir / "postgres"),
            "-D",
            str(data),
            "-p",
            str(port),
            "-k",
            str(sockets),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "fsync=off",
            "-c",
            "max_connections=40",
            "-c",
            "shared_buffers=16MB",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        **as_user,
    )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while (
            subprocess.run(
                [str(bindir / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)], capture_output=True
            ).returncode
            != 0
        ):
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"PostgreSQL did not start: {(root / 'server.log').read_text()[-2000:]}")
            time.sleep(0.2)
        subprocess.run(
            [str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "qa", "qa"],
            check=True,
            capture_output=True,
            timeout=60,
        )
        yield f"postgresql://qa@127.0.0.1:{port}/qa"
    finally:
        server.send_signal(signal.SIGINT)  # "fast" shutdown: disconnect clients, stop
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def state_settings(request, settings, tmp_path):
    """Settings whose state store is a fresh SQLite file, or a fresh database on the cluster."""
    if request.param == "sqlite":
        return settings.model_copy(update={"index_dir": tmp_path / "index", "database_url": ""})
    base = request.getfixturevalue("postgres_url")
    name = f"t{os.getpid()}_{time.monotonic_ns()}"
    _create_database(base, name)
    return settings.model_copy(
        update={"index_dir": tmp_path / "index", "database_url": base.rsplit("/", 1)[0] + "/" + name}
    )


def _create_database(base_url: str, name: str) -> None:
    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
