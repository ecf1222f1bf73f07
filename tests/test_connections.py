"""Slowloris-style connections against a real uvicorn server on 127.0.0.1 with the guarded
protocol: every test is bounded in sockets and in time (a server that keeps the connection
fails the test when the wait runs out, it does not hang)."""

from __future__ import annotations

import random
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn

from qa.api.connections import ConnectionLimits, GuardedH11Protocol

LIMITS = ConnectionLimits(
    header_seconds=0.5, body_seconds=0.5, keep_alive_seconds=1, max_connections=50, max_per_client=5
)
WAIT = 10.0  # far above every limit: the server must have closed by then


class QuickProtocol(GuardedH11Protocol):
    limits = LIMITS


async def echo_app(scope, receive, send) -> None:
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"ok"})


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    chosen = random.randint(20000, 60000)
    server = uvicorn.Server(
        uvicorn.Config(
            echo_app,
            host="127.0.0.1",
            port=chosen,
            http=QuickProtocol,
            log_level="warning",
            lifespan="off",
            timeout_keep_alive=LIMITS.keep_alive_seconds,
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    yield chosen
    server.should_exit = True
    thread.join(10)


def closed_by_server(sock: socket.socket, trickle: bytes = b"", every: float = 0.2) -> bool:
    """True when the server closes `sock` within WAIT, while we trickle `trickle` bytes."""
    sock.settimeout(every)
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        try:
            if sock.recv(1024) == b"":
                return True
        except TimeoutError:
            pass
        except ConnectionError:
            return True
        if trickle:
            try:
                sock.sendall(trickle)
            except OSError:
                return True
    return False


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=5)


def test_a_connection_that_trickles_its_headers_is_closed(port):
    with connect(port) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        assert closed_by_server(sock, trickle=b"X-a: b\r\n")


def test_a_silent_connection_is_closed(port):
    with connect(port) as sock:
        assert closed_by_server(sock)


def test_a_stalled_body_is_closed(port):
    with connect(port) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nabc")
        assert closed_by_server(sock)


def test_a_normal_request_and_keep_alive_still_work(port):
    with connect(port) as sock:
        for _ in range(2):
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            answer = b""
            while not answer.endswith(b"ok"):
                piece = sock.recv(1024)
                assert piece, f"closed after {answer!r}"
                answer += piece
            assert answer.startswith(b"HTTP/1.1 200")
        assert closed_by_server(sock)  # then idle past the keep-alive time


def test_one_client_cannot_hold_more_than_its_share_of_connections(port):
    socks = [connect(port) for _ in range(LIMITS.max_per_client + 3)]
    try:
        time.sleep(0.2)  # let the server accept them all
        extra = socks[LIMITS.max_per_client :]
        for sock in extra:
            sock.settimeout(2)
            try:
                assert sock.recv(1024) == b""
            except ConnectionError:
                pass
    finally:
        for sock in socks:
            sock.close()
