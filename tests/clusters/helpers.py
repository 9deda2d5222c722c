"""Helpers of the cluster tests: Docker call counting, a closable socket proxy, services, restoring the lab."""

from __future__ import annotations

import contextlib
import os
import socket
import tempfile
import threading
import time
import uuid

from apps.swarm.errors import ObjectNotFound, SwarmError
from tests.support.processes import wait_for

TEST_LABEL_PREFIX = "davit.test."


# ------------------------------------------------------------------------------------------------- counting


@contextlib.contextmanager
def docker_calls(client):
    """Count the HTTP requests `client` (a SwarmClient) sends to its engine inside the block."""
    api = client.api  # connects (and negotiates the API version) before counting starts
    calls: list[str] = []
    original = api.send

    def send(request, **kwargs):
        calls.append(f"{request.method} {request.path_url}")
        return original(request, **kwargs)

    api.send = send
    try:
        yield calls
    finally:
        del api.send


# ------------------------------------------------------------------------------------------------- sockets


class SocketProxy:
    """A unix socket that forwards to another one (the lab's engine) until `close()`: a cluster whose engine
    stops answering. `hang=True` accepts connections and never answers (an engine that hangs)."""

    def __init__(self, target: str, hang: bool = False):
        self.target = target.removeprefix("unix://")
        self.hang = hang
        self.folder = tempfile.mkdtemp(prefix="davit-proxy-")
        self.path = os.path.join(self.folder, "docker.sock")
        self.url = f"unix://{self.path}"
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(self.path)
        self._server.listen(16)
        self._open: list[socket.socket] = []
        self._closed = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self._closed.is_set():
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            self._open.append(client)
            if self.hang:
                continue
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                upstream.connect(self.target)
            except OSError:
                client.close()
                continue
            self._open.append(upstream)
            threading.Thread(target=self._pipe, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client), daemon=True).start()

    @staticmethod
    def _pipe(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                sink.shutdown(socket.SHUT_WR)

    def close(self):
        self._closed.set()
        with contextlib.suppress(OSError):
            self._server.close()
        for conn in self._open:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                conn.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        with contextlib.suppress(OSError):
            os.rmdir(self.folder)


# ------------------------------------------------------------------------------------------------- services


def service_spec(name: str, *, replicas: int = 2, constraints=(), secrets=(), networks=(), command="sleep 3600"):
    return {
        "Name": name,
        "Labels": {"davit.test": "1"},
        "TaskTemplate": {
            "ContainerSpec": {
                "Image": "lab/busybox:1",
                "Command": ["sh", "-c", command],
                "StopGracePeriod": 1_000_000_000,
                "Secrets": list(secrets),
            },
            "Placement": {"Constraints": list(constraints)},
            "Networks": [{"Target": n} for n in networks],
            "RestartPolicy": {"Condition": "any", "Delay": 1_000_000_000},
        },
        "Mode": {"Replicated": {"Replicas": replicas}},
        "UpdateConfig": {"Parallelism": 0, "Order": "start-first", "FailureAction": "pause"},
    }


def running_nodes(swarm, service_id: str) -> list[str]:
    """Node ids of the service's running tasks (one per task, so duplicates count)."""
    return [
        t["NodeID"]
        for t in swarm.task_list(service=service_id)
        if t.get("DesiredState") == "running" and (t.get("Status") or {}).get("State") == "running"
    ]


def wait_running(swarm, service_id: str, count: int, timeout: float = 90, only_on: set | None = None):
    def ready():
        nodes = running_nodes(swarm, service_id)
        desired = [t for t in swarm.task_list(service=service_id) if t.get("DesiredState") == "running"]
        if len(nodes) != count or len(desired) != count:
            return None
        if only_on is not None and not set(nodes) <= only_on:
            return None
        return nodes

    return wait_for(ready, timeout, interval=0.5, what=f"{count} running tasks of service {service_id[:12]}")


def remove_service(swarm, service_id: str) -> None:
    with contextlib.suppress(ObjectNotFound):
        swarm.service_remove(service_id)


def unique_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


# ------------------------------------------------------------------------------------------------- the shared lab


def node_ids(swarm, worker_swarm) -> tuple[str, str]:
    return swarm.engine_swarm_state()["node_id"], worker_swarm.engine_swarm_state()["node_id"]


def ready_nodes(swarm) -> list[dict]:
    return [n for n in swarm.node_list() if (n.get("Status") or {}).get("State") == "ready"]


def restore_lab(swarm, worker_swarm, timeout: float = 120) -> None:
    """Put the shared lab back: the worker engine in the swarm as an active worker, the manager active, no test
    labels, no Down node entries, 2 Ready nodes. Safe to call whatever state a failed test left."""
    state = worker_swarm.engine_swarm_state()
    if state["state"] == "inactive":
        tokens = swarm.swarm_join_tokens()
        worker_swarm.swarm_join(swarm.swarm_manager_addresses(), tokens["worker"])
    elif state["state"] not in ("active", "pending"):
        with contextlib.suppress(SwarmError):
            worker_swarm.swarm_leave(force=True)
        tokens = swarm.swarm_join_tokens()
        worker_swarm.swarm_join(swarm.swarm_manager_addresses(), tokens["worker"])
    manager_id, worker_id = node_ids(swarm, worker_swarm)
    deadline = time.monotonic() + timeout
    while True:
        pending = False
        for node in swarm.node_list():
            node_id, spec = node["ID"], dict(node["Spec"])
            status = (node.get("Status") or {}).get("State")
            if node_id not in (manager_id, worker_id):
                if status == "down":
                    with contextlib.suppress(SwarmError):
                        if spec.get("Role") == "manager":
                            swarm.node_update(node_id, node["Version"]["Index"], {**spec, "Role": "worker"})
                            pending = True
                            continue
                        swarm.node_remove(node_id, force=True)
                else:
                    pending = True
                continue
            labels = {k: v for k, v in (spec.get("Labels") or {}).items() if not k.startswith(TEST_LABEL_PREFIX)}
            wanted = {**spec, "Labels": labels, "Availability": "active"}
            if node_id == worker_id:
                wanted["Role"] = "worker"
            if wanted != spec:
                with contextlib.suppress(SwarmError):
                    swarm.node_update(node_id, node["Version"]["Index"], wanted)
                pending = True
            if status != "ready":
                pending = True
        if not pending and len(ready_nodes(swarm)) == 2:
            return
        if time.monotonic() > deadline:
            raise AssertionError(
                f"the lab could not be restored: {[(n['ID'], n['Status']) for n in swarm.node_list()]}"
            )
        time.sleep(1)
