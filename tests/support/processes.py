"""Processes a test starts (Celery worker, beat, the ASGI server): started with their own pid, ended by it."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


class Process:
    def __init__(self, name: str, argv: list[str], env: dict, cwd: Path = ROOT):
        self.name = name
        self.log = tempfile.NamedTemporaryFile(prefix=f"davit-{name}-", suffix=".log", delete=False)  # noqa: SIM115
        self.proc = subprocess.Popen(
            argv, cwd=cwd, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def output(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")

    def kill(self) -> None:
        """kill -9 the process group this test started (the worker and its pool children)."""
        if self.alive():
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self, timeout: float = 15) -> None:
        if self.alive():
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        else:
            # reap children a dead leader may have left in its group
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
        self.log.close()


def wait_for(predicate, timeout: float, interval: float = 0.2, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def start_worker(env: dict, name: str = "w", concurrency: int = 1, queues: str | None = None) -> Process:
    argv = [
        str(VENV_BIN / "celery"),
        "-A",
        "portal",
        "worker",
        "--loglevel",
        "INFO",
        "--concurrency",
        str(concurrency),
        "--hostname",
        f"{name}-{os.getpid()}-{time.monotonic_ns()}@%h",
        "--without-mingle",
        "--without-gossip",
    ]
    if queues:
        argv += ["-Q", queues]
    process = Process(f"worker-{name}", argv, env)
    _started(process, lambda: "ready." in process.output(), 60, "the Celery worker to be ready", "the worker")
    return process


def start_beat(env: dict) -> Process:
    schedule = tempfile.mktemp(prefix="davit-beat-")
    return Process("beat", [str(VENV_BIN / "celery"), "-A", "portal", "beat", "--schedule", schedule], env)


def _started(process: Process, ready, timeout: float, what: str, who: str) -> None:
    """Wait until `ready()`; a process that ends before that fails the test with the end of its output."""
    wait_for(lambda: ready() or not process.alive(), timeout, what=what)
    if not process.alive():
        raise AssertionError(f"{who} died at start:\n{process.output()[-3000:]}")


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_web(env: dict, port: int | None = None) -> tuple[Process, str]:
    port = port or free_port()
    argv = [
        str(VENV_BIN / "uvicorn"),
        "portal.asgi:application",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    process = Process("web", argv, env)
    _started(process, lambda: _answers(port), 60, "the web server to answer", "the web server")
    return process, f"http://127.0.0.1:{port}"


def start_redis(port: int | None = None) -> tuple[Process, str]:
    """A private Redis for tests that stop or restart it."""
    port = port or free_port()
    folder = tempfile.mkdtemp(prefix="davit-redis-")
    argv = [
        "redis-server",
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        folder,
    ]
    process = Process("redis", argv, dict(os.environ))
    _started(process, lambda: _answers(port), 20, "redis to answer", "redis")
    return process, f"redis://127.0.0.1:{port}/0"
