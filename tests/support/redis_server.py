"""A real, throwaway redis-server on a free loopback port, for tests and benchmarks.

Use it from any conftest with `from tests.support.redis_server import redis_server`
(a session-scoped fixture), or call `start_redis_server()` directly and `.stop()` it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

STARTUP_TIMEOUT_SECONDS = 10.0
_POLL_SECONDS = 0.02
_PORT_ATTEMPTS = 3


class RedisServerError(RuntimeError):
    """redis-server is missing, or did not start answering PING in time."""


@dataclass
class RedisServer:
    """A running redis-server; `url` selects database 0."""

    port: int
    process: subprocess.Popen[bytes]
    workdir: Path

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        """Terminate the server (kill it if it ignores SIGTERM) and remove its folder."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.workdir, ignore_errors=True)


def find_redis_server() -> str | None:
    """Path of the redis-server binary, or None."""
    return shutil.which("redis-server") or shutil.which("redis-server", path="/usr/bin:/usr/local/bin:/usr/sbin")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def _wait_until_ready(process: subprocess.Popen[bytes], port: int, timeout: float) -> bool:
    """Poll PING until it answers; False if the process exits (e.g. the port was taken meanwhile)."""
    for _ in range(int(timeout / _POLL_SECONDS)):
        if _answers_ping(port):
            return True
        try:
            process.wait(timeout=_POLL_SECONDS)  # returns early, and ends the wait, if it died
            return False
        except subprocess.TimeoutExpired:
            pass
    raise RedisServerError(f"redis-server on port {port} did not answer PING within {timeout:.0f} s")


def start_redis_server(binary: str | None = None, timeout: float = STARTUP_TIMEOUT_SECONDS) -> RedisServer:
    """Start redis-server without persistence on a free 127.0.0.1 port; return once it answers PING."""
    binary = binary or find_redis_server()
    if binary is None:
        raise RedisServerError("redis-server not found on PATH; install it (apt-get install redis-server)")
    for _ in range(_PORT_ATTEMPTS):
        port = free_port()
        workdir = Path(tempfile.mkdtemp(prefix="tc-redis-"))
        args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        args += ["--dir", str(workdir), "--logfile", str(workdir / "redis.log")]
        process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        server = RedisServer(port, process, workdir)
        try:
            if _wait_until_ready(process, port, timeout):
                return server
        except BaseException:
            server.stop()
            raise
        log = (workdir / "redis.log").read_text(errors="replace")[-500:] if (workdir / "redis.log").exists() else ""
        server.stop()
        if "Address already in use" not in log:
            raise RedisServerError(f"redis-server exited with code {process.returncode}: {log.strip()}")
    raise RedisServerError(f"no free port for redis-server after {_PORT_ATTEMPTS} attempts")


def require_redis_server() -> str:
    """The binary's path; otherwise fail under CI (a silent skip would hide lost coverage), else skip."""
    binary = find_redis_server()
    if binary is None:
        message = "redis-server not found on PATH; install it (apt-get install redis-server) to run the Redis tests"
        if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return binary


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """One redis-server for the whole session; tests isolate themselves with FLUSHDB."""
    server = start_redis_server(require_redis_server())
    try:
        yield server
    finally:
        server.stop()
