"""Services and tasks. Specs are Engine API JSON bodies (see apps.swarm.compose), sent as they are.

Lists are one call for the whole set (filters by label, name, id); a rollout watch reads one service list and
one task list per poll, never one call per service.
"""

from __future__ import annotations

import base64
import json

NAMESPACE_LABEL = "com.docker.stack.namespace"
IMAGE_LABEL = "com.docker.stack.image"


def auth_header(auth: dict | None) -> dict:
    """The X-Registry-Auth header the engine wants for --with-registry-auth (never logged)."""
    if not auth:
        return {}
    encoded = base64.urlsafe_b64encode(json.dumps(auth).encode()).decode()
    return {"X-Registry-Auth": encoded}


def service_mode(spec: dict) -> str:
    """replicated, global, replicated-job or global-job."""
    mode = spec.get("Mode") or {}
    if "Global" in mode:
        return "global"
    if "ReplicatedJob" in mode:
        return "replicated-job"
    if "GlobalJob" in mode:
        return "global-job"
    return "replicated"


def desired_replicas(spec: dict) -> int | None:
    """Replicas of a replicated service (1 when unset, as the engine does); None for the other modes."""
    mode = spec.get("Mode") or {}
    if service_mode(spec) != "replicated":
        return None
    replicas = (mode.get("Replicated") or {}).get("Replicas")
    return 1 if replicas is None else int(replicas)


class ServicesMixin:
    def service_list(
        self,
        *,
        labels: dict | None = None,
        names: list[str] | None = None,
        ids: list[str] | None = None,
        status: bool = False,
    ) -> list:
        """One call for the whole list (filters by label, name and id prefix; compare names exactly after),
        optionally with running/desired counts."""
        filters: dict = {}
        if labels:
            filters["label"] = [f"{k}={v}" if v is not None else k for k, v in labels.items()]
        if names:
            filters["name"] = list(names)
        if ids:
            filters["id"] = list(ids)
        params = {"filters": json.dumps(filters)} if filters else {}
        if status:
            params["status"] = "true"
        with self.translate("Listing services"):
            return self._get("/services", **params)

    def service_inspect(self, service: str) -> dict:
        with self.translate(f"Reading service {service}"):
            return self._get(f"/services/{service}", insertDefaults="false")

    def service_create(self, spec: dict, *, auth: dict | None = None) -> str:
        with self.translate(f"Creating service {spec.get('Name', '')}"):
            return self._post("/services/create", spec, headers=auth_header(auth))["ID"]

    def service_create_full(self, spec: dict, *, auth: dict | None = None) -> dict:
        """Like service_create, but returns the engine's answer ({ID, Warnings})."""
        with self.translate(f"Creating service {spec.get('Name', '')}"):
            return self._post("/services/create", spec, headers=auth_header(auth)) or {}

    def service_update(
        self, service_id: str, version: int, spec: dict, *, auth: dict | None = None, rollback: bool = False
    ) -> list[str]:
        """Send the whole spec with its version: a concurrent change gives ObjectConflict, not a lost update."""
        params = {"version": version}
        if rollback:
            params["rollback"] = "previous"
        if auth:
            params["registryAuthFrom"] = "spec"
        with self.translate(f"Updating service {spec.get('Name', service_id)}"):
            result = self._post(f"/services/{service_id}/update", spec, headers=auth_header(auth), **params)
        return (result or {}).get("Warnings") or []

    def service_rollback(self, service_id: str) -> list[str]:
        """Ask the swarm to go back to the service's previous spec (as `docker service rollback`)."""
        current = self.service_inspect(service_id)
        name = current["Spec"].get("Name", service_id)
        with self.translate(f"Rolling back service {name}"):
            result = self._post(
                f"/services/{service_id}/update",
                current["Spec"],
                headers={},
                version=current["Version"]["Index"],
                rollback="previous",
            )
        return (result or {}).get("Warnings") or []

    def service_remove(self, service: str) -> None:
        with self.translate(f"Removing service {service}"):
            self.api.remove_service(service)

    def task_list(
        self,
        *,
        service: str | list[str] | None = None,
        node: str | None = None,
        labels=None,
        desired_state: str | None = None,
        up_to_date: bool = False,
    ) -> list:
        """Tasks in one call, filtered by service(s), node, label, desired state; `up_to_date` keeps only the
        tasks whose spec is the service's current one (the hidden filter `docker service create` waits with)."""
        filters: dict = {}
        if service:
            filters["service"] = [service] if isinstance(service, str) else list(service)
        if node:
            filters["node"] = [node]
        if labels:
            filters["label"] = [f"{k}={v}" for k, v in labels.items()]
        if desired_state:
            filters["desired-state"] = [desired_state]
        if up_to_date:
            filters["_up-to-date"] = ["true"]
        with self.translate("Listing tasks"):
            return self._get("/tasks", filters=json.dumps(filters))
