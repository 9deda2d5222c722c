"""Service specs in one comparable form, and readable differences between two of them.

A spec the engine stores and returns (`docker service inspect` -> Spec) differs from the body that created
it even when nothing changed: the engine fills defaults (Replicas 1, EndpointSpec.Mode "vip", port protocol
"tcp" and mode "ingress", Isolation "default", Runtime "container", a job's MaxConcurrent 1), replaces
network names by ids, and drops empty fields. `normalize` turns both into one canonical form:

- empty values (None, "", [], {}, False, and 0 except where 0 means something) are dropped;
- engine defaults are made explicit or removed on both sides, so "absent" and "default" compare equal;
- network, secret and config ids become names (through the lookups given), and the top-level
  `Networks` field of old specs moves into `TaskTemplate.Networks`;
- lists whose order carries no meaning are sorted (Env, networks and their aliases, secrets, configs,
  mounts, ports, ulimits, capabilities, constraints, generic resources); ordered ones (Command, Args,
  Hosts, DNS servers, placement preferences, healthcheck test) are kept as they are;
- with `namespace`, the stack name is replaced by "{stack}" in names and labels, so two deploys of one
  file under different stack names compare equal;
- with `api_version` (the engine's, e.g. "1.41"), fields that API version does not know are dropped: an
  older engine silently ignores them (Healthcheck.StartInterval needs 1.44), so a desired spec that has
  them would otherwise never compare equal to what that engine stores.

No Docker or Django import here.
"""

from __future__ import annotations

import copy
import json

STACK = "{stack}"
NAMESPACE_LABEL = "com.docker.stack.namespace"

# 0 keeps its meaning in these fields (0 replicas, all tasks at once, ...); elsewhere 0 means "not set".
_ZERO_MEANINGFUL = {"Replicas", "Parallelism", "MaxConcurrent", "TotalCompletions"}
# Fields whose value is an opaque map of user keys: never prune inside, only drop when empty.
_USER_MAPS = {"Labels", "Options", "DriverOpts", "Sysctls"}
# Fields of a service spec and the API version that introduced them (engines before it drop them).
_FIELD_VERSIONS = {
    ("TaskTemplate", "ContainerSpec", "Init"): (1, 37),
    ("TaskTemplate", "ContainerSpec", "Sysctls"): (1, 40),
    ("TaskTemplate", "Placement", "MaxReplicas"): (1, 40),
    ("TaskTemplate", "ContainerSpec", "CapabilityAdd"): (1, 41),
    ("TaskTemplate", "ContainerSpec", "CapabilityDrop"): (1, 41),
    ("TaskTemplate", "ContainerSpec", "Ulimits"): (1, 41),
    ("TaskTemplate", "Resources", "Limits", "Pids"): (1, 41),
    ("TaskTemplate", "ContainerSpec", "Healthcheck", "StartInterval"): (1, 44),
    ("TaskTemplate", "ContainerSpec", "OomScoreAdj"): (1, 46),
    ("TaskTemplate", "ContainerSpec", "Privileges", "Seccomp"): (1, 46),
    ("TaskTemplate", "ContainerSpec", "Privileges", "AppArmor"): (1, 46),
    ("TaskTemplate", "ContainerSpec", "Privileges", "NoNewPrivileges"): (1, 46),
}
_MOUNT_FIELD_VERSIONS = {
    ("BindOptions", "NonRecursive"): (1, 40),
    ("BindOptions", "CreateMountpoint"): (1, 44),
    ("BindOptions", "ReadOnlyNonRecursive"): (1, 44),
    ("BindOptions", "ReadOnlyForceRecursive"): (1, 44),
    ("VolumeOptions", "Subpath"): (1, 45),
    ("TmpfsOptions", "Options"): (1, 46),
}


def _drop_newer(spec: dict, api_version: str) -> None:
    major, _, minor = api_version.partition(".")
    version = (int(major), int(minor or 0))

    def drop(holder: dict, path: tuple) -> None:
        for part in path[:-1]:
            holder = holder.get(part) if isinstance(holder, dict) else None
            if not isinstance(holder, dict):
                return
        holder.pop(path[-1], None)

    for path, introduced in _FIELD_VERSIONS.items():
        if version < introduced:
            drop(spec, path)
    for mount in (spec.get("TaskTemplate") or {}).get("ContainerSpec", {}).get("Mounts") or []:
        for path, introduced in _MOUNT_FIELD_VERSIONS.items():
            if version < introduced:
                drop(mount, path)


def _is_empty(key: str | None, value) -> bool:
    if value is None or value is False or value == "" or value == [] or value == {}:
        return True
    if isinstance(value, int | float) and not isinstance(value, bool) and value == 0:
        return key not in _ZERO_MEANINGFUL
    return False


def _prune(value, key: str | None = None):
    if isinstance(value, dict):
        if key in _USER_MAPS:
            return {k: ("" if v is None else v) for k, v in value.items()}
        out = {}
        for k, v in value.items():
            v = _prune(v, k)
            if not _is_empty(k, v):
                out[k] = v
        return out
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value


def _sort_key(value) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _replace_stack(text: str, namespace: str | None) -> str:
    if not namespace or not isinstance(text, str):
        return text
    if text == namespace:
        return STACK
    if text.startswith(namespace + "_"):
        return STACK + text[len(namespace) :]
    return text


def normalize(
    spec: dict,
    *,
    networks: dict[str, str] | None = None,
    secrets: dict[str, str] | None = None,
    configs: dict[str, str] | None = None,
    namespace: str | None = None,
    api_version: str | None = None,
    ignore_digests: bool = False,
) -> dict:
    """The canonical form of a service spec: a create body, a stored `Spec`, or a whole inspected service.

    `networks`, `secrets`, `configs` map ids to names (e.g. `{n["Id"]: n["Name"] for n in networks}`);
    a target that is already a name, or an unknown id, is kept as it is. `ignore_digests` drops the
    "@sha256:..." that `--resolve-image always|changed` pins to the image, and the Placement.Platforms
    set with it, for comparing a deploy that resolved digests with one that did not.
    """
    networks, secrets, configs = networks or {}, secrets or {}, configs or {}
    if "Spec" in spec and isinstance(spec["Spec"], dict):
        spec = spec["Spec"]
    spec = copy.deepcopy(spec)
    task = spec.setdefault("TaskTemplate", {})
    container = task.get("ContainerSpec") or {}
    task["ContainerSpec"] = container

    # the deprecated top-level Networks field means the same as TaskTemplate.Networks
    legacy = spec.pop("Networks", None)
    if legacy and not task.get("Networks"):
        task["Networks"] = legacy

    # -- names, ids, stack name
    spec["Name"] = _replace_stack(spec.get("Name", ""), namespace)
    for holder in (spec, container):
        labels = holder.get("Labels")
        if labels and namespace and labels.get(NAMESPACE_LABEL) == namespace:
            labels[NAMESPACE_LABEL] = STACK
    attachments = []
    for attachment in task.get("Networks") or []:
        attachment = dict(attachment)
        target = attachment.get("Target", "")
        attachment["Target"] = _replace_stack(networks.get(target, target), namespace)
        if attachment.get("Aliases"):
            attachment["Aliases"] = sorted(attachment["Aliases"])
        attachments.append(attachment)
    task["Networks"] = sorted(attachments, key=lambda a: a["Target"])
    for field, kind, lookup in (("Secrets", "Secret", secrets), ("Configs", "Config", configs)):
        refs = []
        for ref in container.get(field) or []:
            ref = dict(ref)
            ident = ref.pop(f"{kind}ID", "") or ""
            name = ref.get(f"{kind}Name") or lookup.get(ident, ident)
            ref[f"{kind}Name"] = _replace_stack(name, namespace)
            file = ref.get("File")
            if isinstance(file, dict):
                file = dict(file)
                file.setdefault("UID", "0")
                file.setdefault("GID", "0")
                ref["File"] = file
            refs.append(ref)
        container[field] = sorted(refs, key=_sort_key)
    privileges = container.get("Privileges") or {}
    credential = privileges.get("CredentialSpec") or {}
    if credential.get("Config"):
        credential["Config"] = _replace_stack(configs.get(credential["Config"], credential["Config"]), namespace)
    for mount in container.get("Mounts") or []:
        if mount.get("Type", "volume") == "volume":
            mount["Source"] = _replace_stack(mount.get("Source", ""), namespace)
            labels = (mount.get("VolumeOptions") or {}).get("Labels")
            if labels and namespace and labels.get(NAMESPACE_LABEL) == namespace:
                labels[NAMESPACE_LABEL] = STACK

    # -- engine defaults
    mode = spec.get("Mode") or {"Replicated": {}}
    if "Replicated" in mode:
        replicated = mode["Replicated"] or {}
        if replicated.get("Replicas") is None:
            replicated["Replicas"] = 1
        mode["Replicated"] = replicated
    if "ReplicatedJob" in mode:
        job = mode["ReplicatedJob"] or {}
        if job.get("MaxConcurrent") is None:
            job["MaxConcurrent"] = 1
        if job.get("TotalCompletions") is None:
            job["TotalCompletions"] = job["MaxConcurrent"]
        mode["ReplicatedJob"] = job
    for key in ("Global", "GlobalJob"):
        if key in mode:
            mode[key] = True  # an empty mapping would be pruned away with the mode it names
    spec["Mode"] = mode
    endpoint = spec.get("EndpointSpec") or {}
    if not endpoint.get("Mode"):
        endpoint["Mode"] = "vip"
    ports = []
    for port in endpoint.get("Ports") or []:
        port = dict(port)
        port["Protocol"] = port.get("Protocol") or "tcp"
        port["PublishMode"] = port.get("PublishMode") or "ingress"
        ports.append(port)
    endpoint["Ports"] = sorted(
        ports,
        key=lambda p: (p.get("PublishedPort") or 0, p.get("TargetPort") or 0, p["Protocol"], p["PublishMode"]),
    )
    spec["EndpointSpec"] = endpoint
    if container.get("Isolation") == "default":
        container.pop("Isolation")
    if task.get("Runtime") == "container":
        task.pop("Runtime")
    restart = task.get("RestartPolicy")
    if isinstance(restart, dict) and restart.get("Condition") == "any":
        restart.pop("Condition")  # the engine stores "any" when a restart policy names no condition
    task.pop("ForceUpdate", None)
    container["Image"] = container.get("Image", "")
    if ignore_digests:
        container["Image"] = container["Image"].split("@", 1)[0]
        (task.get("Placement") or {}).pop("Platforms", None)
    for config_key in ("UpdateConfig", "RollbackConfig"):
        update = spec.get(config_key)
        if update:
            if update.get("FailureAction") == "pause":
                update.pop("FailureAction")
            if update.get("Order") == "stop-first":
                update.pop("Order")

    if api_version:
        _drop_newer(spec, api_version)

    # -- order that carries no meaning
    if container.get("Env"):
        container["Env"] = sorted(container["Env"])
    for key in ("CapabilityAdd", "CapabilityDrop"):
        if container.get(key):
            container[key] = sorted(set(container[key]))
    if container.get("Ulimits"):
        container["Ulimits"] = sorted(container["Ulimits"], key=lambda u: u.get("Name", ""))
    if container.get("Mounts"):
        container["Mounts"] = sorted(container["Mounts"], key=lambda m: (m.get("Target", ""), _sort_key(m)))
    placement = task.get("Placement") or {}
    if placement.get("Constraints"):
        placement["Constraints"] = sorted(placement["Constraints"])
    task["Placement"] = placement
    reservations = (task.get("Resources") or {}).get("Reservations") or {}
    if reservations.get("GenericResources"):
        reservations["GenericResources"] = sorted(reservations["GenericResources"], key=_sort_key)

    return _prune(spec)


def normalize_network(network: dict, *, namespace: str | None = None, keep_subnets: bool = False) -> dict:
    """A NetworkCreate body or an inspected network, reduced to what `docker stack deploy` decides.

    The engine picks a subnet for a network created without one, so subnets are left out unless
    `keep_subnets` (pass it when the Compose file sets `ipam.config`, i.e. the body has "IPAM").
    """
    ipam = network.get("IPAM") or {}
    configs = [
        {"Subnet": c.get("Subnet", "")} for c in (ipam.get("Config") or []) if isinstance(c, dict) and c.get("Subnet")
    ]
    if not keep_subnets:
        configs = []
    labels = dict(network.get("Labels") or {})
    if namespace and labels.get(NAMESPACE_LABEL) == namespace:
        labels[NAMESPACE_LABEL] = STACK
    out = {
        "Name": _replace_stack(network.get("Name", ""), namespace),
        "Driver": network.get("Driver") or "overlay",
        "Options": {
            k: v
            for k, v in (network.get("Options") or {}).items()
            if not k.startswith("com.docker.network.driver.overlay.vxlanid")
        },
        "Internal": bool(network.get("Internal")),
        "Attachable": bool(network.get("Attachable")),
        "Labels": labels,
        "IPAM": {"Driver": (ipam.get("Driver") or "default"), "Config": sorted(configs, key=_sort_key)},
    }
    return _prune(out)


def normalize_file_object(obj: dict, *, namespace: str | None = None) -> dict:
    """A secret or config body or inspected object (its Spec): name, labels, data, driver, templating."""
    if "Spec" in obj and isinstance(obj["Spec"], dict):
        obj = obj["Spec"]
    labels = dict(obj.get("Labels") or {})
    if namespace and labels.get(NAMESPACE_LABEL) == namespace:
        labels[NAMESPACE_LABEL] = STACK
    out = {
        "Name": _replace_stack(obj.get("Name", ""), namespace),
        "Labels": labels,
        "Data": obj.get("Data") or "",
        "Driver": obj.get("Driver"),
        "Templating": obj.get("Templating"),
    }
    return _prune(out)


_MISSING = object()


def _show(value) -> str:
    return "<absent>" if value is _MISSING else repr(value)


def _identity(item) -> str | None:
    if not isinstance(item, dict):
        return None
    for key in ("Target", "SecretName", "ConfigName", "Name"):
        if isinstance(item.get(key), str) and item.get(key):
            return f"{key}={item[key]}"
    return None


def spec_changes(a, b, path: str = "") -> list[str]:
    """Readable per-field differences from `a` to `b`, e.g. "TaskTemplate.ContainerSpec.Env: ['A=1'] -> ['A=2']".

    Pass two normalized specs. Lists of mappings with a natural key (Target, SecretName, ConfigName, Name)
    are matched by that key; other lists are compared whole.
    """
    changes: list[str] = []
    if isinstance(a, dict) and isinstance(b, dict):
        for key in list(a) + [k for k in b if k not in a]:
            sub = f"{path}.{key}" if path else str(key)
            left, right = a.get(key, _MISSING), b.get(key, _MISSING)
            if left is _MISSING or right is _MISSING:
                if left != right:
                    changes.append(f"{sub}: {_show(left)} -> {_show(right)}")
            else:
                changes.extend(spec_changes(left, right, sub))
        return changes
    if isinstance(a, list) and isinstance(b, list) and a != b:
        left_ids = [_identity(x) for x in a]
        right_ids = [_identity(x) for x in b]
        if (
            all(left_ids)
            and all(right_ids)
            and len(set(left_ids)) == len(left_ids)
            and len(set(right_ids)) == len(right_ids)
        ):
            left_map, right_map = dict(zip(left_ids, a, strict=True)), dict(zip(right_ids, b, strict=True))
            for ident in left_ids + [i for i in right_ids if i not in left_map]:
                sub = f"{path}[{ident}]"
                left, right = left_map.get(ident, _MISSING), right_map.get(ident, _MISSING)
                if left is _MISSING or right is _MISSING:
                    changes.append(f"{sub}: {_show(left)} -> {_show(right)}")
                else:
                    changes.extend(spec_changes(left, right, sub))
            return changes
        if len(a) == len(b) and all(isinstance(x, dict) for x in a + b):
            for index, (left, right) in enumerate(zip(a, b, strict=True)):
                changes.extend(spec_changes(left, right, f"{path}[{index}]"))
            return changes
        changes.append(f"{path}: {_show(a)} -> {_show(b)}")
        return changes
    if a != b:
        changes.append(f"{path}: {_show(a)} -> {_show(b)}")
    return changes
