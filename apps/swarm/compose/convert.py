"""From the loaded Compose config to Engine API bodies, as the CLI's cli/compose/convert does.

Bodies follow the Engine API 1.41 field names and Go's JSON encoding of the CLI's structs: a field the CLI
sends even when empty (Labels, Resources, Placement, Privileges, EndpointSpec, Mode, ForceUpdate, the
UpdateConfig's Parallelism and MaxFailureRatio) is present; an empty optional one is left out.
"""

from __future__ import annotations

import base64
import re

from .errors import ComposeError
from .reference import ReferenceError_, check_image, normalize_image

NAMESPACE_LABEL = "com.docker.stack.namespace"
IMAGE_LABEL = "com.docker.stack.image"
DEFAULT_NETWORK = "default"
NOT_USER_DEFINED = ("default", "bridge", "host", "none")


def scope(namespace: str, name: str) -> str:
    return f"{namespace}_{name}"


def stack_labels(namespace: str, labels: dict | None) -> dict:
    out = dict(labels or {})
    out[NAMESPACE_LABEL] = namespace
    return out


def _user_defined(network: str) -> bool:
    return network not in NOT_USER_DEFINED and not network.startswith("container:")


def _fail(path, message, ctx):
    return ComposeError(message, line=ctx.line_of(path), field=ctx.format_path(path) or None)


# ---------------------------------------------------------------- networks, secrets, configs


def service_networks_used(services: dict) -> list[str]:
    used: list[str] = []
    for service in services.values():
        names = list(service["networks"]) or [DEFAULT_NETWORK]
        for name in names:
            if name not in used:
                used.append(name)
    return used


def convert_networks(namespace: str, networks: dict, used: list[str]) -> tuple[dict, list[str]]:
    """NetworkCreate bodies keyed by name for the networks services use, and the external ones' names."""
    creates: dict = {}
    externals: list[str] = []
    for key in sorted(used):
        network = networks.get(key) or {
            "name": "",
            "driver": "",
            "driver_opts": {},
            "ipam": {"driver": "", "config": []},
            "external": False,
            "internal": False,
            "attachable": False,
            "labels": {},
        }
        if network["external"]:
            if network["name"] not in externals:
                externals.append(network["name"])
            continue
        name = network["name"] or scope(namespace, key)
        body: dict = {
            "Name": name,
            "Driver": network["driver"] or "overlay",
            "Internal": network["internal"],
            "Attachable": network["attachable"],
            "Labels": stack_labels(namespace, network["labels"]),
        }
        if network["driver_opts"]:
            body["Options"] = dict(network["driver_opts"])
        ipam = network["ipam"]
        if ipam["driver"] or ipam["config"]:
            body["IPAM"] = {
                "Driver": ipam["driver"],
                "Config": [{"Subnet": c.get("subnet", "")} for c in ipam["config"]],
            }
        creates[name] = body
    return creates, externals


def convert_file_objects(namespace: str, objects: dict, kind: str) -> dict:
    """SecretSpec / ConfigSpec bodies (Data base64-encoded, as the JSON API takes it) keyed by name."""
    result = {}
    for key in sorted(objects):
        obj = objects[key]
        if obj["external"]:
            continue
        name = obj["name"] or scope(namespace, key)
        body: dict = {"Name": name, "Labels": stack_labels(namespace, obj["labels"])}
        if kind == "secret" and obj["driver"]:
            body["Data"] = ""
            body["Driver"] = {"Name": obj["driver"]}
            if obj["driver_opts"]:
                body["Driver"]["Options"] = dict(obj["driver_opts"])
        else:
            body["Data"] = base64.b64encode(obj["data"] or b"").decode("ascii")
        if obj["template_driver"]:
            body["Templating"] = {"Name": obj["template_driver"]}
        result[name] = body
    return result


# ---------------------------------------------------------------- services


def _file_references(ctx, namespace: str, service: dict, objects: dict, kind: str) -> list[dict]:
    refs = []
    section = f"{kind}s"
    targets: dict[str, str] = {}
    for index, ref in enumerate(service[section]):
        path = ("services", service["name"], section, index)
        source = ref.get("source", "")
        if source not in objects:
            raise _fail(path, f'undefined {kind} "{source}"', ctx)
        obj = objects[source]
        name = obj["name"] or scope(namespace, source)
        target = ref.get("target") or source
        if target in targets:
            raise _fail(path, f"duplicate {kind} target for {target} not allowed (also used by {targets[target]})", ctx)
        targets[target] = name
        mode = ref.get("mode")
        file_target = {
            "Name": target,
            "UID": ref.get("uid") or "0",
            "GID": ref.get("gid") or "0",
            "Mode": 0o444 if mode is None else int(mode),
        }
        if kind == "secret":
            refs.append({"File": file_target, "SecretID": "", "SecretName": name})
        else:
            refs.append({"File": file_target, "ConfigID": "", "ConfigName": name})
    return refs


def _mounts(ctx, namespace: str, service: dict, volumes: dict) -> list[dict]:
    mounts = []
    for index, volume in enumerate(service["volumes"]):
        path = ("services", service["name"], "volumes", index)
        kind = volume.get("type", "")
        mount: dict = {"Type": kind or "volume"}
        if volume.get("source"):
            mount["Source"] = volume["source"]
        if volume.get("target"):
            mount["Target"] = volume["target"]
        if volume.get("read_only"):
            mount["ReadOnly"] = True
        if volume.get("consistency"):
            mount["Consistency"] = volume["consistency"]
        has_bind, has_volume, has_tmpfs = "bind" in volume, "volume" in volume, "tmpfs" in volume
        if kind in ("volume", ""):
            if has_tmpfs:
                raise _fail(path, "tmpfs options are incompatible with type volume", ctx)
            if has_bind:
                raise _fail(path, "bind options are incompatible with type volume", ctx)
            source = volume.get("source", "")
            if source:
                if source not in volumes:
                    raise _fail(path, f'undefined volume "{source}"', ctx)
                stack_volume = volumes[source]
                mount["Source"] = stack_volume["name"] or scope(namespace, source)
                options: dict = {}
                if (volume.get("volume") or {}).get("nocopy"):
                    options["NoCopy"] = True
                if not stack_volume["external"]:
                    options["Labels"] = stack_labels(namespace, stack_volume["labels"])
                    if stack_volume["driver"] or stack_volume["driver_opts"] is not None:
                        driver: dict = {}
                        if stack_volume["driver"]:
                            driver["Name"] = stack_volume["driver"]
                        if stack_volume["driver_opts"]:
                            driver["Options"] = dict(stack_volume["driver_opts"])
                        options["DriverConfig"] = driver
                mount["VolumeOptions"] = options
        elif kind == "bind":
            if not volume.get("source"):
                raise _fail(path, "invalid bind source, source cannot be empty", ctx)
            if has_volume:
                raise _fail(path, "volume options are incompatible with type bind", ctx)
            if has_tmpfs:
                raise _fail(path, "tmpfs options are incompatible with type bind", ctx)
            if has_bind:
                propagation = (volume.get("bind") or {}).get("propagation", "")
                mount["BindOptions"] = {"Propagation": propagation} if propagation else {}
        elif kind == "tmpfs":
            if volume.get("source"):
                raise _fail(path, "invalid tmpfs source, source must be empty", ctx)
            if has_bind:
                raise _fail(path, "bind options are incompatible with type tmpfs", ctx)
            if has_volume:
                raise _fail(path, "volume options are incompatible with type tmpfs", ctx)
            if has_tmpfs:
                size = (volume.get("tmpfs") or {}).get("size")
                mount["TmpfsOptions"] = {"SizeBytes": int(size)} if size else {}
        elif kind == "npipe":
            if not volume.get("source"):
                raise _fail(path, "invalid npipe source, source cannot be empty", ctx)
            if has_bind:
                propagation = (volume.get("bind") or {}).get("propagation", "")
                mount["BindOptions"] = {"Propagation": propagation} if propagation else {}
        else:
            raise _fail(path, "volume type must be volume, bind, tmpfs or npipe", ctx)
        mounts.append(mount)
    return mounts


def _update_config(source: dict | None) -> dict | None:
    if source is None:
        return None
    body: dict = {
        "Parallelism": 1 if source["parallelism"] is None else source["parallelism"],
        "MaxFailureRatio": source["max_failure_ratio"],
    }
    if source["delay"]:
        body["Delay"] = source["delay"]
    if source["failure_action"]:
        body["FailureAction"] = source["failure_action"]
    if source["monitor"]:
        body["Monitor"] = source["monitor"]
    if source["order"]:
        body["Order"] = source["order"]
    return body


def _restart_policy(ctx, service: dict) -> dict | None:
    policy = service["deploy"]["restart_policy"]
    if policy is not None:
        body: dict = {}
        if policy["condition"]:
            body["Condition"] = policy["condition"]
        if policy["delay"] is not None:
            body["Delay"] = policy["delay"]
        if policy["max_attempts"] is not None:
            body["MaxAttempts"] = policy["max_attempts"]
        if policy["window"] is not None:
            body["Window"] = policy["window"]
        return body
    restart = service["restart"]
    if not restart:
        return None
    path = ("services", service["name"], "restart")
    name, found, count_text = restart.partition(":")
    if found and not name:
        raise _fail(path, "invalid restart policy format: no policy provided before colon", ctx)
    count = 0
    if count_text:
        if not count_text.lstrip("+-").isdigit():
            raise _fail(path, "invalid restart policy format: maximum retry count must be an integer", ctx)
        count = int(count_text)
    if count < 0:
        raise _fail(path, "invalid restart policy: maximum retry count cannot be negative", ctx)
    if name in ("no", ""):
        return None
    if name in ("always", "unless-stopped"):
        body = {"Condition": "any"}
    elif name == "on-failure":
        body = {"Condition": "on-failure"}
    else:
        raise _fail(
            path,
            f"invalid restart policy: unknown policy '{name}' (must be one of 'no', 'always', 'on-failure', "
            "or 'unless-stopped')",
            ctx,
        )
    if count > 0:
        body["MaxAttempts"] = count
    return body


def _healthcheck(ctx, service: dict) -> dict | None:
    health = service["healthcheck"]
    if health is None:
        return None
    if health["disable"]:
        if health["test"]:
            raise _fail(
                ("services", service["name"], "healthcheck"), "test and disable can't be set at the same time", ctx
            )
        return {"Test": ["NONE"]}
    body: dict = {}
    if health["test"]:
        body["Test"] = list(health["test"])
    for source, target in (
        ("interval", "Interval"),
        ("timeout", "Timeout"),
        ("start_period", "StartPeriod"),
        ("start_interval", "StartInterval"),
        ("retries", "Retries"),
    ):
        if health[source]:
            body[target] = health[source]
    return body


def _mode(ctx, service: dict) -> dict:
    deploy = service["deploy"]
    mode, replicas = deploy["mode"], deploy["replicas"]
    path = ("services", service["name"], "deploy", "mode")
    if mode in ("global", "global-job") and replicas is not None:
        raise _fail(
            ("services", service["name"], "deploy", "replicas"),
            "replicas can only be used with replicated or replicated-job mode",
            ctx,
        )
    if mode == "global":
        return {"Global": {}}
    if mode == "global-job":
        return {"GlobalJob": {}}
    if mode == "replicated-job":
        job: dict = {}
        if replicas is not None:
            job = {"MaxConcurrent": replicas, "TotalCompletions": replicas}
        return {"ReplicatedJob": job}
    if mode in ("replicated", ""):
        return {"Replicated": {} if replicas is None else {"Replicas": replicas}}
    raise _fail(path, f"unknown mode: {mode} (replicated, global, replicated-job or global-job)", ctx)


def _capabilities(add: list[str], drop: list[str]) -> tuple[list[str], list[str]]:
    def normalize(cap: str) -> str:
        cap = cap.strip().upper()
        if cap in ("ALL", "RESET") or cap.startswith("CAP_"):
            return cap
        return "CAP_" + cap

    adds = {normalize(c) for c in add}
    drops = {normalize(c) for c in drop}
    if "ALL" in adds:
        adds = {"ALL"}
    if "ALL" in drops:
        drops = {"ALL"}
    cap_drop = sorted(c for c in drops if c not in adds and c != "RESET")
    cap_add = sorted(c for c in adds if c != "RESET")
    return cap_add, cap_drop


def _credential_spec(ctx, namespace: str, service: dict, configs: dict, config_refs: list[dict]) -> dict | None:
    spec = service["credential_spec"]
    chosen = [k for k in ("config", "file", "registry") if spec.get(k)]
    if not chosen:
        return None
    path = ("services", service["name"], "credential_spec")
    if len(chosen) > 1:
        names = [f'"{k.capitalize()}"' for k in chosen]
        joined = " and ".join(names) if len(names) == 2 else ", ".join(names[:-1]) + ", and " + names[-1]
        raise _fail(path, f"invalid credential spec: cannot specify both {joined}", ctx)
    kind = chosen[0]
    if kind != "config":
        return {kind.capitalize(): spec[kind]}
    source = spec["config"]
    if source not in configs:
        raise _fail(path, f'undefined config "{source}"', ctx)
    name = configs[source]["name"] or scope(namespace, source)
    config_refs.append({"Runtime": {}, "ConfigID": "", "ConfigName": name})
    return {"Config": name}


_CONSTRAINT_KEY = re.compile(r"^[a-z_][a-z0-9\-_.]+$", re.IGNORECASE)
_CONSTRAINT_VALUE = re.compile(r"^[a-z0-9:\-_\s.*()?+\[\]\\^$|/]+$", re.IGNORECASE)
_MIB4 = 4 * 1024 * 1024
_MS = 1_000_000


def check_constraint(expression: str) -> str | None:
    """The swarm's constraint parser: "key == value" or "key != value"; returns the problem, if any."""
    for operator in ("==", "!="):
        if operator not in expression:
            continue
        key, _, value = expression.partition(operator)
        key, value = key.strip(), value.strip()
        if not _CONSTRAINT_KEY.match(key):
            return f"key '{key}' is invalid"
        if not _CONSTRAINT_VALUE.match(value):
            return f"value '{value}' is invalid"
        return None
    return "constraint expected one operator from ==, !="


def swarm_checks(ctx, service: dict, spec: dict) -> None:
    """What the swarm manager refuses at create time, checked before anything is created, so that a stack
    is never left half-deployed (the CLI only learns these from the daemon, service by service)."""
    name = service["name"]
    base = ("services", name)
    deploy_path = (*base, "deploy")
    task = spec["TaskTemplate"]
    container = task["ContainerSpec"]

    for index, expression in enumerate(task["Placement"].get("Constraints", [])):
        problem = check_constraint(expression)
        if problem:
            raise _fail((*deploy_path, "placement", "constraints", index), f"invalid constraint: {problem}", ctx)

    for kind, section in (("limits", "Limits"), ("reservations", "Reservations")):
        values = task["Resources"].get(section) or {}
        where = (*deploy_path, "resources", kind)
        cpus = values.get("NanoCPUs", 0)
        if cpus and cpus < 1_000_000:
            raise _fail((*where, "cpus"), f"the swarm needs at least 0.001 CPUs, got {cpus / 1e9:g}", ctx)
        memory = values.get("MemoryBytes", 0)
        if memory and memory < _MIB4:
            raise _fail((*where, "memory"), f"the swarm needs at least 4MiB of memory, got {memory} bytes", ctx)

    seen_targets: set[str] = set()
    for index, mount in enumerate(container.get("Mounts", [])):
        target = mount.get("Target", "")
        if target in seen_targets:
            raise _fail((*base, "volumes", index), f"duplicate mount point: {target}", ctx)
        seen_targets.add(target)
        propagation = (mount.get("BindOptions") or {}).get("Propagation", "")
        if propagation and propagation not in ("private", "rprivate", "shared", "rshared", "slave", "rslave"):
            raise _fail((*base, "volumes", index), f'invalid bind propagation "{propagation}"', ctx)

    endpoint = spec["EndpointSpec"]
    mode = endpoint.get("Mode", "")
    if mode not in ("", "vip", "dnsrr"):
        raise _fail((*deploy_path, "endpoint_mode"), f'invalid endpoint mode "{mode}" (vip or dnsrr)', ctx)
    published: set[tuple[int, str]] = set()
    for port in endpoint.get("Ports", []):
        if mode == "dnsrr" and port.get("PublishMode", "ingress") in ("", "ingress"):
            raise _fail(
                (*base, "ports"), "a port published in ingress mode can't be used with endpoint_mode dnsrr", ctx
            )
        number = port.get("PublishedPort", 0)
        if not number:
            continue
        protocol = port.get("Protocol") or "tcp"
        protocol = protocol if protocol in ("udp", "sctp") else "tcp"
        if (number, protocol) in published:
            raise _fail((*base, "ports"), f"published port {number}/{protocol} is given twice", ctx)
        published.add((number, protocol))

    restart = task.get("RestartPolicy") or {}
    where = (*deploy_path, "restart_policy")
    if restart.get("Condition", "") not in ("", "none", "on-failure", "any"):
        raise _fail((*where, "condition"), f'invalid condition "{restart["Condition"]}" (none, on-failure or any)', ctx)
    for field, key in (("delay", "Delay"), ("window", "Window")):
        if (restart.get(key) or 0) < 0:
            raise _fail((*where, field), f"restart {field} cannot be negative", ctx)

    if ("ReplicatedJob" in spec["Mode"] or "GlobalJob" in spec["Mode"]) and "UpdateConfig" in spec:
        raise _fail((*deploy_path, "update_config"), "jobs may not have an update config", ctx)
    for field, key in (("update_config", "UpdateConfig"), ("rollback_config", "RollbackConfig")):
        update = spec.get(key)
        if not update:
            continue
        where = (*deploy_path, field)
        action = update.get("FailureAction", "")
        if action not in ("", "pause", "continue", "rollback"):
            raise _fail(
                (*where, "failure_action"), f'invalid failure action "{action}" (pause, continue, rollback)', ctx
            )
        if key == "UpdateConfig":
            ratio = update.get("MaxFailureRatio", 0)
            if ratio < 0 or ratio > 1:
                raise _fail((*where, "max_failure_ratio"), f"must be between 0 and 1, got {ratio:g}", ctx)
            for duration, json_key in (("delay", "Delay"), ("monitor", "Monitor")):
                if (update.get(json_key) or 0) < 0:
                    raise _fail((*where, duration), f"update {duration} cannot be negative", ctx)

    health = container.get("Healthcheck") or {}
    for field, key in (("interval", "Interval"), ("timeout", "Timeout"), ("start_period", "StartPeriod")):
        value = health.get(key, 0)
        if value and value < _MS:
            raise _fail((*base, "healthcheck", field), f"cannot be less than 1ms, got {value}ns", ctx)


def convert_service(ctx, namespace: str, service: dict, loaded: dict) -> dict:
    name = service["name"]
    image = service["image"]
    try:
        check_image(image)
    except ReferenceError_ as error:
        where = ("services", name, "image") if image else ("services", name)
        raise _fail(where, f"invalid image reference for service {name}: {error}", ctx) from None

    secrets = _file_references(ctx, namespace, service, loaded["secrets"], "secret")
    configs = _file_references(ctx, namespace, service, loaded["configs"], "config")
    credential_spec = _credential_spec(ctx, namespace, service, loaded["configs"], configs)
    secrets.sort(key=lambda ref: ref["SecretName"])
    configs.sort(key=lambda ref: ref["ConfigName"])

    container: dict = {"Image": normalize_image(image), "Labels": stack_labels(namespace, service["labels"])}
    if service["entrypoint"]:
        container["Command"] = list(service["entrypoint"])
    if service["command"]:
        container["Args"] = list(service["command"])
    if service["hostname"]:
        container["Hostname"] = service["hostname"]
    env = sorted(k if v is None else f"{k}={v}" for k, v in service["environment"].items())
    if env:
        container["Env"] = env
    if service["working_dir"]:
        container["Dir"] = service["working_dir"]
    if service["user"]:
        container["User"] = service["user"]
    container["Privileges"] = {"CredentialSpec": credential_spec} if credential_spec else {}
    if service["init"] is not None:
        container["Init"] = bool(service["init"])
    if service["stop_signal"]:
        container["StopSignal"] = service["stop_signal"]
    if service["tty"]:
        container["TTY"] = True
    if service["stdin_open"]:
        container["OpenStdin"] = True
    if service["read_only"]:
        container["ReadOnly"] = True
    mounts = _mounts(ctx, namespace, service, loaded["volumes"])
    if mounts:
        container["Mounts"] = mounts
    if service["stop_grace_period"] is not None:
        container["StopGracePeriod"] = service["stop_grace_period"]
    health = _healthcheck(ctx, service)
    if health is not None:
        container["Healthcheck"] = health
    hosts = []
    for entry in service["extra_hosts"]:
        host, found, address = entry.partition(":")
        if found:
            hosts.append(f"{address} {host}")
    if hosts:
        container["Hosts"] = hosts
    if service["dns"] or service["dns_search"]:
        dns: dict = {}
        if service["dns"]:
            dns["Nameservers"] = list(service["dns"])
        if service["dns_search"]:
            dns["Search"] = list(service["dns_search"])
        container["DNSConfig"] = dns
    if secrets:
        container["Secrets"] = secrets
    if configs:
        container["Configs"] = configs
    if service["isolation"]:
        container["Isolation"] = service["isolation"]
    if service["sysctls"]:
        container["Sysctls"] = dict(service["sysctls"])
    cap_add, cap_drop = _capabilities(service["cap_add"], service["cap_drop"])
    if cap_add:
        container["CapabilityAdd"] = cap_add
    if cap_drop:
        container["CapabilityDrop"] = cap_drop
    ulimits = []
    for ulimit_name in sorted(service["ulimits"]):
        limit = service["ulimits"][ulimit_name]
        if limit.get("single"):
            soft = hard = limit["single"]
        else:
            soft, hard = limit.get("soft", 0), limit.get("hard", 0)
        ulimits.append({"Name": ulimit_name, "Soft": soft, "Hard": hard})
    if ulimits:
        container["Ulimits"] = ulimits

    deploy = service["deploy"]
    resources: dict = {}
    limits = deploy["resources"].get("limits")
    if limits is not None:
        resources["Limits"] = {
            k: v
            for k, v in (("NanoCPUs", limits["nano_cpus"]), ("MemoryBytes", limits["memory"]), ("Pids", limits["pids"]))
            if v
        }
    reservations = deploy["resources"].get("reservations")
    if reservations is not None:
        reserved = {
            k: v for k, v in (("NanoCPUs", reservations["nano_cpus"]), ("MemoryBytes", reservations["memory"])) if v
        }
        generic = []
        for resource in reservations["generic_resources"]:
            spec = resource.get("discrete_resource_spec")
            if spec is None:
                generic.append({})
                continue
            discrete = {k: v for k, v in (("Kind", spec["kind"]), ("Value", spec["value"])) if v}
            generic.append({"DiscreteResourceSpec": discrete})
        if generic:
            reserved["GenericResources"] = generic
        resources["Reservations"] = reserved

    placement: dict = {}
    if deploy["placement"]["constraints"]:
        placement["Constraints"] = list(deploy["placement"]["constraints"])
    if deploy["placement"]["preferences"]:
        placement["Preferences"] = [
            {"Spread": {"SpreadDescriptor": p["spread"]}} for p in deploy["placement"]["preferences"]
        ]
    if deploy["placement"]["max_replicas_per_node"]:
        placement["MaxReplicas"] = deploy["placement"]["max_replicas_per_node"]

    networks = []
    service_networks = service["networks"] or {DEFAULT_NETWORK: None}
    for network_name, attach in service_networks.items():
        if network_name not in loaded["networks"] and network_name != DEFAULT_NETWORK:
            raise _fail(("services", name, "networks", network_name), f'undefined network "{network_name}"', ctx)
        network = loaded["networks"].get(network_name)
        target = (network or {}).get("name") or scope(namespace, network_name)
        aliases = list((attach or {}).get("aliases") or [])
        if _user_defined(target):
            aliases.append(name)
        entry: dict = {"Target": target}
        if aliases:
            entry["Aliases"] = aliases
        if (attach or {}).get("driver_opts"):
            entry["DriverOpts"] = dict(attach["driver_opts"])
        networks.append(entry)
    networks.sort(key=lambda n: n["Target"])

    task: dict = {
        "ContainerSpec": container,
        "Resources": resources,
        "Placement": placement,
        "Networks": networks,
        "ForceUpdate": 0,
    }
    restart = _restart_policy(ctx, service)
    if restart is not None:
        task["RestartPolicy"] = restart
    if service["logging"] is not None:
        driver: dict = {}
        if service["logging"]["driver"]:
            driver["Name"] = service["logging"]["driver"]
        if service["logging"]["options"]:
            driver["Options"] = dict(service["logging"]["options"])
        task["LogDriver"] = driver

    ports = [
        {
            k: v
            for k, v in (
                ("Protocol", p["protocol"]),
                ("TargetPort", p["target"]),
                ("PublishedPort", p["published"]),
                ("PublishMode", p["mode"]),
            )
            if v
        }
        for p in service["ports"]
    ]
    ports.sort(key=lambda p: p.get("PublishedPort", 0))
    endpoint: dict = {}
    if deploy["endpoint_mode"]:
        endpoint["Mode"] = deploy["endpoint_mode"].lower()
    if ports:
        endpoint["Ports"] = ports

    labels = stack_labels(namespace, deploy["labels"])
    labels[IMAGE_LABEL] = image
    spec: dict = {
        "Name": scope(namespace, name),
        "Labels": labels,
        "TaskTemplate": task,
        "Mode": _mode(ctx, service),
        "EndpointSpec": endpoint,
    }
    update = _update_config(deploy["update_config"])
    if update is not None:
        spec["UpdateConfig"] = update
    rollback = _update_config(deploy["rollback_config"])
    if rollback is not None:
        spec["RollbackConfig"] = rollback
    swarm_checks(ctx, service, spec)
    return spec
