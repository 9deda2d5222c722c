"""Nodes of a swarm, the swarm itself (join tokens, join, leave) and the engine-level facts of one node.

Every call goes through `self.translate(...)` so a Docker error reaches a person as a sentence. Lists are
one call each; the pure conversions below (`node_summary`, `task_counts`) turn Engine API JSON into rows.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

NODE_AVAILABILITIES = ("active", "pause", "drain")
NODE_ROLES = ("worker", "manager")


def request(client, method: str, path: str, *args, body=None, params=None, headers=None, timeout=None, as_json=True):
    """One raw Engine API request on `client` (a SwarmClient); the caller wraps it in `client.translate`.

    `path` is a format string whose `{0}`, `{1}` ... are filled (URL-quoted) from `args`, as docker-py does.
    Empty bodies are returned as None (many write endpoints answer 200 with nothing).
    """
    api = client.api
    url = api._url(path, *args)
    kwargs: dict[str, Any] = {"params": params or None}
    if timeout is not None:
        kwargs["timeout"] = timeout
    if method == "GET":
        response = api._get(url, headers=headers, **kwargs)
    elif method == "DELETE":
        response = api._delete(url, headers=headers, **kwargs)
    elif method == "POST":
        response = api._post_json(url, data=body, headers=dict(headers or {}), **kwargs)
    else:  # pragma: no cover - programming error
        raise ValueError(f"unsupported method {method}")
    api._raise_for_status(response)
    if not as_json or not response.content:
        return None
    return response.json()


def task_counts(tasks: list[dict]) -> dict[str, dict[str, int]]:
    """Per node id: tasks meant to run there (desired running) and tasks actually running."""
    desired: Counter = Counter()
    running: Counter = Counter()
    for task in tasks:
        node = task.get("NodeID")
        if not node:
            continue
        if task.get("DesiredState") == "running":
            desired[node] += 1
        if (task.get("Status") or {}).get("State") == "running":
            running[node] += 1
    return {node: {"tasks": desired[node], "running": running[node]} for node in set(desired) | set(running)}


def node_summary(node: dict, counts: dict[str, int] | None = None) -> dict:
    """A node as Davit shows it: one row of the list, also the head of the node page."""
    spec = node.get("Spec") or {}
    description = node.get("Description") or {}
    status = node.get("Status") or {}
    manager = node.get("ManagerStatus") or {}
    resources = description.get("Resources") or {}
    engine = description.get("Engine") or {}
    platform = description.get("Platform") or {}
    counts = counts or {}
    return {
        "id": node.get("ID", ""),
        "version": (node.get("Version") or {}).get("Index", 0),
        "hostname": description.get("Hostname", ""),
        "role": spec.get("Role", ""),
        "availability": spec.get("Availability", ""),
        "state": status.get("State", ""),
        "message": status.get("Message", ""),
        "address": status.get("Addr", ""),
        "manager_address": manager.get("Addr", ""),
        "leader": bool(manager.get("Leader")),
        "reachability": manager.get("Reachability", ""),
        "engine_version": engine.get("EngineVersion", ""),
        "os": platform.get("OS", ""),
        "architecture": platform.get("Architecture", ""),
        "labels": dict(spec.get("Labels") or {}),
        "engine_labels": dict(engine.get("Labels") or {}),
        "cpus": (resources.get("NanoCPUs") or 0) / 1e9,
        "memory_bytes": resources.get("MemoryBytes") or 0,
        "tasks": counts.get("tasks", 0),
        "running": counts.get("running", 0),
        "created": node.get("CreatedAt", ""),
        "updated": node.get("UpdatedAt", ""),
    }


def task_summary(task: dict, service_names: dict[str, str] | None = None) -> dict:
    status = task.get("Status") or {}
    container = (status.get("ContainerStatus") or {}).get("ContainerID", "")
    service_id = task.get("ServiceID", "")
    spec = (task.get("Spec") or {}).get("ContainerSpec") or {}
    return {
        "id": task.get("ID", ""),
        "service_id": service_id,
        "service": (service_names or {}).get(service_id, service_id[:12]),
        "slot": task.get("Slot"),
        "node_id": task.get("NodeID", ""),
        "image": (spec.get("Image") or "").split("@", 1)[0],
        "desired_state": task.get("DesiredState", ""),
        "state": status.get("State", ""),
        "message": status.get("Message", ""),
        "error": status.get("Err", ""),
        "timestamp": status.get("Timestamp", ""),
        "container_id": container,
    }


class NodesMixin:
    # nodes ---------------------------------------------------------------------------------------------
    def node_list(self) -> list:
        with self.translate("Listing nodes"):
            return request(self, "GET", "/nodes")

    def node_inspect(self, node_id: str) -> dict:
        with self.translate(f"Reading node {node_id}"):
            return request(self, "GET", "/nodes/{0}", node_id)

    def node_update(self, node_id: str, version: int, spec: dict) -> None:
        """Send the WHOLE node spec with the version it was read at: a concurrent change gives ObjectConflict."""
        with self.translate(f"Updating node {node_id}"):
            request(self, "POST", "/nodes/{0}/update", node_id, body=spec, params={"version": int(version)})

    def node_remove(self, node_id: str, *, force: bool = False) -> None:
        with self.translate(f"Removing node {node_id}"):
            request(self, "DELETE", "/nodes/{0}", node_id, params={"force": "true" if force else "false"})

    # the swarm -----------------------------------------------------------------------------------------
    def swarm_inspect(self) -> dict:
        """The swarm object (manager only): ID, Version, Spec and JoinTokens. Never log its JoinTokens."""
        with self.translate("Reading the swarm"):
            return request(self, "GET", "/swarm")

    def swarm_join_tokens(self) -> dict:
        swarm = self.swarm_inspect()
        tokens = swarm.get("JoinTokens") or {}
        return {"worker": tokens.get("Worker", ""), "manager": tokens.get("Manager", "")}

    def swarm_manager_addresses(self) -> list[str]:
        """Addresses (host:port) of the swarm's managers, as the managers advertise them (one call)."""
        info = self.info()
        managers = (info.get("Swarm") or {}).get("RemoteManagers") or []
        return [m["Addr"] for m in managers if m.get("Addr")]

    def swarm_rotate_join_token(self, role: str) -> None:
        """Replace the worker or manager join token; the old one stops working at once."""
        if role not in NODE_ROLES:
            raise ValueError(f"role must be one of {NODE_ROLES}")
        swarm = self.swarm_inspect()
        params = {
            "version": (swarm.get("Version") or {}).get("Index", 0),
            "rotateWorkerToken": "true" if role == "worker" else "false",
            "rotateManagerToken": "true" if role == "manager" else "false",
        }
        with self.translate(f"Rotating the {role} join token"):
            request(self, "POST", "/swarm/update", body=swarm.get("Spec") or {}, params=params)

    def swarm_join(
        self,
        remote_addrs: list[str],
        token: str,
        *,
        listen_addr: str = "0.0.0.0:2377",
        advertise_addr: str | None = None,
        timeout: float = 90,
    ) -> None:
        """Make THIS engine join the swarm whose managers are `remote_addrs` (the token is never logged)."""
        body = {"ListenAddr": listen_addr, "RemoteAddrs": list(remote_addrs), "JoinToken": token}
        if advertise_addr:
            body["AdvertiseAddr"] = advertise_addr
        with self.translate(f"Joining the swarm at {', '.join(remote_addrs)}"):
            request(self, "POST", "/swarm/join", body=body, timeout=timeout, as_json=False)

    def swarm_leave(self, *, force: bool = False, timeout: float = 60) -> None:
        with self.translate("Leaving the swarm"):
            request(
                self,
                "POST",
                "/swarm/leave",
                params={"force": "true" if force else "false"},
                timeout=timeout,
                as_json=False,
            )

    def engine_swarm_state(self) -> dict:
        """This engine's own swarm membership, from one /info call: state, node id, swarm id, manager or not."""
        info = self.info()
        swarm = info.get("Swarm") or {}
        return {
            "state": swarm.get("LocalNodeState", "inactive"),
            "node_id": swarm.get("NodeID", ""),
            "swarm_id": (swarm.get("Cluster") or {}).get("ID", ""),
            "manager": bool(swarm.get("ControlAvailable")),
            "node_addr": swarm.get("NodeAddr", ""),
            "error": swarm.get("Error", ""),
            "hostname": info.get("Name", ""),
            "engine_version": info.get("ServerVersion", ""),
        }

    def task_list_raw(self, filters: dict | None = None) -> list:
        with self.translate("Listing tasks"):
            return request(self, "GET", "/tasks", params={"filters": json.dumps(filters or {})})
