"""Services and tasks. Specs are Engine API JSON bodies (see apps.swarm.compose), sent as they are."""

from __future__ import annotations

import base64
import json


def auth_header(auth: dict | None) -> dict:
    """The X-Registry-Auth header the engine wants for --with-registry-auth (never logged)."""
    if not auth:
        return {}
    encoded = base64.urlsafe_b64encode(json.dumps(auth).encode()).decode()
    return {"X-Registry-Auth": encoded}


class ServicesMixin:
    def service_list(self, *, labels: dict | None = None, names: list[str] | None = None, status: bool = False) -> list:
        """One call for the whole list (filters by label and name), optionally with running/desired counts."""
        filters: dict = {}
        if labels:
            filters["label"] = [f"{k}={v}" if v is not None else k for k, v in labels.items()]
        if names:
            filters["name"] = names
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

    def service_remove(self, service: str) -> None:
        with self.translate(f"Removing service {service}"):
            self.api.remove_service(service)

    def task_list(self, *, service: str | list[str] | None = None, node: str | None = None, labels=None) -> list:
        """Tasks in one call, filtered by service(s), node or label."""
        filters: dict = {}
        if service:
            filters["service"] = [service] if isinstance(service, str) else list(service)
        if node:
            filters["node"] = [node]
        if labels:
            filters["label"] = [f"{k}={v}" for k, v in labels.items()]
        with self.translate("Listing tasks"):
            return self._get("/tasks", filters=json.dumps(filters))
