"""Networks, volumes, secrets and configs.

Lists are one call each; "which services use it" is computed from ONE service list by the pure helpers below
(`services_by_network`, `services_by_secret`, `services_by_config`). Secret values are sent once, base64, and
never logged: nothing here formats a secret's data into a message.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import time
from collections import defaultdict

from .nodes import request

PREDEFINED_NETWORKS = ("ingress", "docker_gwbridge", "bridge", "host", "none")


def _service_name(service: dict) -> str:
    return (service.get("Spec") or {}).get("Name", service.get("ID", ""))


def _container_spec(service: dict) -> dict:
    return ((service.get("Spec") or {}).get("TaskTemplate") or {}).get("ContainerSpec") or {}


def services_by_network(services: list[dict]) -> dict[str, list[str]]:
    """Network id or name -> names of the services attached to it (task template, legacy spec, endpoint VIPs)."""
    using: dict[str, set] = defaultdict(set)
    for service in services:
        spec = service.get("Spec") or {}
        name = _service_name(service)
        attached = list((spec.get("TaskTemplate") or {}).get("Networks") or []) + list(spec.get("Networks") or [])
        for network in attached:
            if network.get("Target"):
                using[network["Target"]].add(name)
        for vip in (service.get("Endpoint") or {}).get("VirtualIPs") or []:
            if vip.get("NetworkID"):
                using[vip["NetworkID"]].add(name)
    return {key: sorted(names) for key, names in using.items()}


def _services_by_reference(services: list[dict], field: str, id_key: str, name_key: str) -> dict[str, list[str]]:
    using: dict[str, set] = defaultdict(set)
    for service in services:
        name = _service_name(service)
        for reference in _container_spec(service).get(field) or []:
            for key in (reference.get(id_key), reference.get(name_key)):
                if key:
                    using[key].add(name)
    return {key: sorted(names) for key, names in using.items()}


def services_by_secret(services: list[dict]) -> dict[str, list[str]]:
    """Secret id or name -> names of the services that mount it."""
    return _services_by_reference(services, "Secrets", "SecretID", "SecretName")


def services_by_config(services: list[dict]) -> dict[str, list[str]]:
    return _services_by_reference(services, "Configs", "ConfigID", "ConfigName")


def users_of(using: dict[str, list[str]], obj_id: str, name: str) -> list[str]:
    return sorted(set(using.get(obj_id, [])) | set(using.get(name, [])))


def network_summary(network: dict, using: dict[str, list[str]] | None = None) -> dict:
    ipam = network.get("IPAM") or {}
    options = network.get("Options") or {}
    name = network.get("Name", "")
    return {
        "id": network.get("Id") or network.get("ID", ""),
        "name": name,
        "driver": network.get("Driver", ""),
        "scope": network.get("Scope", ""),
        "internal": bool(network.get("Internal")),
        "attachable": bool(network.get("Attachable")),
        "ingress": bool(network.get("Ingress")),
        "encrypted": "encrypted" in options,
        "subnets": [
            {"subnet": c.get("Subnet", ""), "gateway": c.get("Gateway", ""), "ip_range": c.get("IPRange", "")}
            for c in ipam.get("Config") or []
        ],
        "labels": dict(network.get("Labels") or {}),
        "created": network.get("Created", ""),
        "predefined": name in PREDEFINED_NETWORKS or bool(network.get("Ingress")),
        "services": users_of(using or {}, network.get("Id") or network.get("ID", ""), name),
    }


def object_summary(obj: dict, using: dict[str, list[str]] | None = None) -> dict:
    """A secret or a config, without its data."""
    spec = obj.get("Spec") or {}
    return {
        "id": obj.get("ID", ""),
        "name": spec.get("Name", ""),
        "version": (obj.get("Version") or {}).get("Index", 0),
        "labels": dict(spec.get("Labels") or {}),
        "created": obj.get("CreatedAt", ""),
        "updated": obj.get("UpdatedAt", ""),
        "services": users_of(using or {}, obj.get("ID", ""), spec.get("Name", "")),
    }


def volume_summary(volume: dict) -> dict:
    usage = volume.get("UsageData") or {}
    return {
        "name": volume.get("Name", ""),
        "driver": volume.get("Driver", ""),
        "scope": volume.get("Scope", ""),
        "mountpoint": volume.get("Mountpoint", ""),
        "labels": dict(volume.get("Labels") or {}),
        "options": dict(volume.get("Options") or {}),
        "created": volume.get("CreatedAt", ""),
        "ref_count": usage.get("RefCount"),
    }


_VERSIONED = re.compile(r"^(?P<base>.+)\.v(?P<n>\d+)$")

REFERENCE_KEYS = {
    "secret": ("Secrets", "SecretID", "SecretName"),
    "config": ("Configs", "ConfigID", "ConfigName"),
}


def next_version_name(name: str, existing: set[str] | list[str]) -> str:
    """`db-password` -> `db-password.v2`, `db-password.v2` -> `db-password.v3`, skipping names already taken."""
    match = _VERSIONED.match(name)
    base, n = (match["base"], int(match["n"])) if match else (name, 1)
    taken = set(existing)
    while True:
        n += 1
        candidate = f"{base}.v{n}"
        if candidate not in taken:
            return candidate


def replace_reference(spec: dict, kind: str, old_id: str, new_id: str, new_name: str) -> tuple[dict, int]:
    """A copy of a service spec whose references to secret/config `old_id` point at `new_id`/`new_name`.

    The file target, uid, gid and mode of each reference are kept. Returns (new spec, references replaced).
    """
    field, id_key, name_key = REFERENCE_KEYS[kind]
    spec = copy.deepcopy(spec)
    container = ((spec.get("TaskTemplate") or {}).get("ContainerSpec")) or {}
    replaced = 0
    for reference in container.get(field) or []:
        if reference.get(id_key) == old_id:
            reference[id_key] = new_id
            reference[name_key] = new_name
            replaced += 1
    return spec, replaced


def _filters(labels: dict | None) -> dict:
    if not labels:
        return {}
    return {"filters": json.dumps({"label": [f"{k}={v}" if v is not None else k for k, v in labels.items()]})}


class ResourcesMixin:
    # networks ------------------------------------------------------------------------------------------
    def network_list(self, *, labels: dict | None = None) -> list:
        with self.translate("Listing networks"):
            return request(self, "GET", "/networks", params=_filters(labels))

    def network_inspect(self, network: str) -> dict:
        with self.translate(f"Reading network {network}"):
            return request(self, "GET", "/networks/{0}", network)

    def network_inspect_allocated(self, network: str, timeout: float = 10.0) -> dict:
        """The network once the swarm's allocator has processed it: right after a create the manager reports an
        empty driver, no options and no IPAM for a few milliseconds (longer under load). Gives up after `timeout`
        and returns what it read last."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.network_inspect(network)
            if found.get("Driver") or time.monotonic() > deadline:
                return found
            time.sleep(0.05)

    def network_create(self, body: dict) -> str:
        """`body` is the Engine API NetworkCreateRequest (Name, Driver, IPAM, Internal, Attachable, Options...)."""
        with self.translate(f"Creating network {body.get('Name', '')}"):
            return request(self, "POST", "/networks/create", body={"CheckDuplicate": True, **body})["Id"]

    def network_remove(self, network: str) -> None:
        with self.translate(f"Removing network {network}"):
            request(self, "DELETE", "/networks/{0}", network, as_json=False)

    # volumes (of the engine this client talks to: one node) ---------------------------------------------
    def volume_list(self) -> list:
        with self.translate("Listing volumes"):
            return (request(self, "GET", "/volumes") or {}).get("Volumes") or []

    def volume_create(self, name: str, *, driver: str = "local", driver_opts=None, labels=None) -> dict:
        body = {"Name": name, "Driver": driver or "local", "DriverOpts": driver_opts or {}, "Labels": labels or {}}
        with self.translate(f"Creating volume {name}"):
            return request(self, "POST", "/volumes/create", body=body)

    def volume_remove(self, name: str, *, force: bool = False) -> None:
        with self.translate(f"Removing volume {name}"):
            request(self, "DELETE", "/volumes/{0}", name, params={"force": "true" if force else "false"}, as_json=False)

    # secrets -------------------------------------------------------------------------------------------
    def secret_list(self, *, labels: dict | None = None) -> list:
        with self.translate("Listing secrets"):
            return request(self, "GET", "/secrets", params=_filters(labels))

    def secret_inspect(self, secret: str) -> dict:
        with self.translate(f"Reading secret {secret}"):
            return request(self, "GET", "/secrets/{0}", secret)

    def secret_create(self, name: str, data: bytes, *, labels: dict | None = None, extra: dict | None = None) -> str:
        """`extra` carries Driver / Templating bodies as the Engine API takes them."""
        body = {"Name": name, "Labels": labels or {}, "Data": base64.b64encode(data).decode(), **(extra or {})}
        with self.translate(f"Creating secret {name}"):
            return request(self, "POST", "/secrets/create", body=body)["ID"]

    def secret_remove(self, secret: str) -> None:
        with self.translate(f"Removing secret {secret}"):
            request(self, "DELETE", "/secrets/{0}", secret, as_json=False)

    # configs -------------------------------------------------------------------------------------------
    def config_list(self, *, labels: dict | None = None) -> list:
        with self.translate("Listing configs"):
            return request(self, "GET", "/configs", params=_filters(labels))

    def config_inspect(self, config: str) -> dict:
        with self.translate(f"Reading config {config}"):
            return request(self, "GET", "/configs/{0}", config)

    def config_create(self, name: str, data: bytes, *, labels: dict | None = None, extra: dict | None = None) -> str:
        """`extra` carries Driver / Templating bodies as the Engine API takes them."""
        body = {"Name": name, "Labels": labels or {}, "Data": base64.b64encode(data).decode(), **(extra or {})}
        with self.translate(f"Creating config {name}"):
            return request(self, "POST", "/configs/create", body=body)["ID"]

    def config_remove(self, config: str) -> None:
        with self.translate(f"Removing config {config}"):
            request(self, "DELETE", "/configs/{0}", config, as_json=False)
