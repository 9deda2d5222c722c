"""From the validated Compose document to typed values, as the CLI's loader does (docker stack config).

The result is a plain dict shaped like the output of `docker stack config` (ports and volumes in long
form, env_file merged into environment, durations in nanoseconds, sizes in bytes), so it can be checked
against the CLI, and it is what convert.py turns into Engine API bodies.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

from .errors import ComposeError
from .ports import PortError, short_port_configs
from .units import (
    CpuError,
    DurationError,
    ShlexError,
    SizeError,
    go_sprint,
    parse_cpus,
    parse_duration,
    ram_in_bytes,
    shell_split,
)

FORBIDDEN = {
    "extends": "Support for `extends` is not implemented yet.",
    "volume_driver": (
        "Instead of setting the volume driver on the service, define a volume using the top-level `volumes` "
        "option and specify the driver there."
    ),
    "volumes_from": (
        "To share a volume between services, define it using the top-level `volumes` option and reference it "
        "from each service that shares it using the service-level `volumes` option."
    ),
    "cpu_quota": "Set resource limits using deploy.resources",
    "cpu_shares": "Set resource limits using deploy.resources",
    "cpuset": "Set resource limits using deploy.resources",
    "mem_limit": "Set resource limits using deploy.resources",
    "memswap_limit": "Set resource limits using deploy.resources",
}
UNSUPPORTED = (
    "build",
    "cgroupns_mode",
    "cgroup_parent",
    "devices",
    "domainname",
    "external_links",
    "ipc",
    "links",
    "mac_address",
    "network_mode",
    "pid",
    "privileged",
    "restart",
    "security_opt",
    "shm_size",
    "userns_mode",
)
DEPRECATED = {
    "container_name": "Setting the container name is not supported.",
    "expose": "Exposing ports is unnecessary - services on the same network can access each other's containers "
    "on any port.",
}
BIND_PROPAGATIONS = ("private", "rprivate", "shared", "rshared", "slave", "rslave")


@dataclass
class Context:
    """What the loader needs besides the document: where each key was written and the uploaded files."""

    version: tuple[int, int]
    variables: dict[str, str]
    files: dict[str, bytes]
    working_dir: str | None
    line_of: object
    format_path: object
    warnings: list[str] = field(default_factory=list)

    def fail(self, path, message: str) -> ComposeError:
        return ComposeError(message, line=self.line_of(path), field=self.format_path(path) or None)

    def read_file(self, path: tuple, reference: str) -> bytes:
        key = normalize_file_key(reference, self.working_dir)
        if key is None or key not in self.files:
            uploaded = ", ".join(sorted(self.files)) or "none"
            raise self.fail(path, f'file "{reference}" was not uploaded with the Compose file (uploaded: {uploaded})')
        return self.files[key]


def normalize_file_key(reference: str, working_dir: str | None = None) -> str | None:
    """The key under which an uploaded file is found: the path relative to the Compose file's folder."""
    if not reference:
        return None
    if reference.startswith("/"):
        if working_dir and (reference == working_dir or reference.startswith(working_dir.rstrip("/") + "/")):
            reference = posixpath.relpath(reference, working_dir)
        else:
            return posixpath.normpath(reference)
    key = posixpath.normpath(reference)
    return None if key.startswith("../") or key == ".." else key


def _version_at_least(ctx: Context, version: tuple[int, int]) -> bool:
    return ctx.version >= version


# ---------------------------------------------------------------- small transforms (mapstructure hooks)


def mapping_or_list(value, sep: str, allow_nil: bool) -> dict:
    """Labels, sysctls (allow_nil False) and environment (allow_nil True) from either form."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return {k: (None if v is None and allow_nil else ("" if v is None else go_sprint(v))) for k, v in value.items()}
    result: dict = {}
    for item in value:
        key, found, rest = str(item).partition(sep)
        result[key] = rest if found else (None if allow_nil else "")
    return result


def string_map(value) -> dict[str, str]:
    if not value:
        return {}
    return {k: ("" if v is None else go_sprint(v)) for k, v in value.items()}


def string_list(value) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _duration(ctx: Context, value, path) -> int | None:
    if value is None:
        return None
    try:
        return parse_duration(value)
    except DurationError as error:
        raise ctx.fail(path, str(error)) from None


def _uint(ctx: Context, value, path, what: str = "a whole number, 0 or more") -> int | None:
    if value is None:
        return None
    number = int(value)
    if number < 0:
        raise ctx.fail(path, f"must be {what}, got {value}")
    return number


def _size(ctx: Context, value, path) -> int:
    if isinstance(value, int):
        return value
    try:
        return ram_in_bytes(value)
    except SizeError as error:
        raise ctx.fail(path, str(error)) from None


# ---------------------------------------------------------------- services


def parse_volume_spec(spec: str) -> dict:
    """The CLI's ParseVolume: "[source:]target[:options]" with options ro, rw, nocopy and propagations."""
    volume: dict = {"type": "", "source": "", "target": ""}
    if not spec:
        raise ValueError("invalid empty volume spec")
    if len(spec) <= 2:
        return {"type": "volume", "source": "", "target": spec}
    buffer = ""
    options = None
    for char in spec + "\0":
        if char == ":" and len(buffer) == 1 and buffer.isalpha():
            buffer += char  # a Windows drive letter
            continue
        if char not in (":", "\0"):
            buffer += char
            continue
        end = char == "\0"
        if not buffer:
            raise ValueError(f"invalid spec: {spec}: empty section between colons")
        if not volume["source"] and end:
            volume["target"] = buffer
        elif not volume["source"]:
            volume["source"] = buffer
        elif not volume["target"]:
            volume["target"] = buffer
        elif not end:
            raise ValueError(f"invalid spec: {spec}: too many colons")
        else:
            options = buffer
        buffer = ""
    if options is not None:
        for option in options.split(","):
            if option == "ro":
                volume["read_only"] = True
            elif option == "rw":
                volume["read_only"] = False
            elif option == "nocopy":
                volume["volume"] = {"nocopy": True}
            elif option in BIND_PROPAGATIONS:
                volume["bind"] = {"propagation": option}
    source = volume["source"]
    if not source:
        volume["type"] = "volume"
    elif source[0] in "./~" or (
        len(source) > 1 and (source.startswith("\\\\") or (source[0].isalpha() and source[1] == ":"))
    ):
        volume["type"] = "bind"
    else:
        volume["type"] = "volume"
    if volume.get("read_only") is False:
        del volume["read_only"]
    return volume


def _ports(ctx: Context, entries, path) -> list[dict]:
    ports: list[dict] = []
    for index, entry in enumerate(entries or []):
        where = (*path, index)
        if isinstance(entry, dict):
            port = {
                "mode": entry.get("mode", ""),
                "target": _uint(ctx, entry.get("target", 0), (*where, "target")) or 0,
                "published": _uint(ctx, entry.get("published", 0), (*where, "published")) or 0,
                "protocol": entry.get("protocol", ""),
            }
            ports.append(port)
            continue
        try:
            configs = short_port_configs(go_sprint(entry), ctx.warnings)
        except PortError as error:
            raise ctx.fail(where, str(error)) from None
        for config in configs:
            ports.append(
                {
                    "mode": config["PublishMode"],
                    "target": config["TargetPort"],
                    "published": config["PublishedPort"],
                    "protocol": config["Protocol"],
                }
            )
    return ports


def _volumes(ctx: Context, entries, path) -> list[dict]:
    volumes = []
    for index, entry in enumerate(entries or []):
        where = (*path, index)
        if isinstance(entry, str):
            try:
                volume = parse_volume_spec(entry)
            except ValueError as error:
                raise ctx.fail(where, str(error)) from None
        else:
            volume = {k: v for k, v in entry.items()}
            volume.setdefault("source", "")
            volume.setdefault("target", "")
            if volume.get("read_only") is False:
                del volume["read_only"]
        if volume["type"] == "bind":
            volume["source"] = _bind_source(ctx, volume["source"], where)
        volumes.append(volume)
    return volumes


def _bind_source(ctx: Context, source: str, path) -> str:
    if not source:
        raise ctx.fail(path, 'invalid mount config for type "bind": field Source must not be empty')
    if source.startswith("~"):
        home = ctx.variables.get("HOME")
        if home is None:
            ctx.warnings.append("cannot expand '~', because the environment lacks HOME")
        else:
            source = source.replace("~", home, 1)
    if source.startswith("/") or (len(source) > 2 and source[1] == ":" and source[0].isalpha()):
        return source
    if source.startswith("\\\\"):
        return source
    if not ctx.working_dir:
        raise ctx.fail(
            path,
            f'the bind mount source "{source}" is relative; Davit has no folder on the nodes to resolve it against, '
            "use an absolute path",
        )
    return posixpath.normpath(posixpath.join(ctx.working_dir, source))


def _env_file_lines(ctx: Context, reference: str, data: bytes, path) -> list[tuple[str, str | None]]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ctx.fail(path, f"env file {reference} contains invalid utf8 bytes at line {line}") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    pairs: list[tuple[str, str | None]] = []
    for raw in text.splitlines():
        line = raw.lstrip()
        if not line or line.startswith("#"):
            continue
        name, found, value = line.partition("=")
        name = name.lstrip(" \t")
        if any(c in name for c in " \t"):
            raise ctx.fail(path, f"env file {reference}: variable '{name}' contains whitespaces")
        if not name:
            raise ctx.fail(path, f"env file {reference}: no variable name on line '{line}'")
        if found:
            pairs.append((name, value))
            continue
        bare = line.strip()
        if bare in ctx.variables:
            pairs.append((bare, ctx.variables[bare]))
    return pairs


def _environment(ctx: Context, raw: dict, path) -> dict:
    environment: dict = {}

    def update(values: dict):
        for key, value in values.items():
            if (value is None or value == "") and key in ctx.variables:
                environment[key] = ctx.variables[key]
            else:
                environment[key] = value

    env_files = string_list(raw.get("env_file"))
    if env_files:
        from_files: dict = {}
        for index, reference in enumerate(env_files):
            where = (*path, "env_file", index) if isinstance(raw.get("env_file"), list) else (*path, "env_file")
            data = ctx.read_file(where, reference)
            for key, value in _env_file_lines(ctx, reference, data, where):
                from_files[key] = value
        update(from_files)
    update(mapping_or_list(raw.get("environment"), "=", True))
    return environment


def _file_refs(ctx: Context, entries) -> list[dict]:
    refs = []
    for entry in entries or []:
        if isinstance(entry, str):
            refs.append({"source": entry})
        else:
            ref = {k: v for k, v in entry.items() if k in ("source", "target", "uid", "gid", "mode")}
            if "mode" in ref and ref["mode"] is not None:
                ref["mode"] = int(ref["mode"])
            refs.append(ref)
    return refs


def _update_config(ctx: Context, raw, path) -> dict | None:
    if raw is None:
        return None
    return {
        "parallelism": _uint(ctx, raw.get("parallelism"), (*path, "parallelism")),
        "delay": _duration(ctx, raw.get("delay"), (*path, "delay")) or 0,
        "failure_action": raw.get("failure_action", ""),
        "monitor": _duration(ctx, raw.get("monitor"), (*path, "monitor")) or 0,
        "max_failure_ratio": float(raw.get("max_failure_ratio", 0) or 0),
        "order": raw.get("order", ""),
    }


def _deploy(ctx: Context, raw, path) -> dict:
    raw = raw or {}
    deploy: dict = {
        "mode": raw.get("mode", ""),
        "replicas": _uint(ctx, raw.get("replicas"), (*path, "replicas")),
        "labels": mapping_or_list(raw.get("labels"), "=", False),
        "update_config": _update_config(ctx, raw.get("update_config"), (*path, "update_config")),
        "rollback_config": _update_config(ctx, raw.get("rollback_config"), (*path, "rollback_config")),
        "endpoint_mode": raw.get("endpoint_mode", ""),
    }
    resources = raw.get("resources") or {}
    loaded_resources: dict = {}
    for kind in ("limits", "reservations"):
        section = resources.get(kind)
        if section is None:
            continue
        where = (*path, "resources", kind)
        item: dict = {"cpus": section.get("cpus", "")}
        if item["cpus"]:
            try:
                item["nano_cpus"] = parse_cpus(item["cpus"])
            except CpuError as error:
                raise ctx.fail((*where, "cpus"), str(error)) from None
        else:
            item["nano_cpus"] = 0
        item["memory"] = _size(ctx, section["memory"], (*where, "memory")) if section.get("memory") else 0
        if kind == "limits":
            item["pids"] = int(section.get("pids") or 0)
        else:
            generic = []
            for resource in section.get("generic_resources") or []:
                spec = resource.get("discrete_resource_spec")
                if spec is None:
                    generic.append({})
                    continue
                value = spec.get("value", 0)
                generic.append({"discrete_resource_spec": {"kind": spec.get("kind", ""), "value": int(value)}})
            item["generic_resources"] = generic
        loaded_resources[kind] = item
    deploy["resources"] = loaded_resources
    policy = raw.get("restart_policy")
    if policy is not None:
        where = (*path, "restart_policy")
        deploy["restart_policy"] = {
            "condition": policy.get("condition", ""),
            "delay": _duration(ctx, policy.get("delay"), (*where, "delay")),
            "max_attempts": _uint(ctx, policy.get("max_attempts"), (*where, "max_attempts")),
            "window": _duration(ctx, policy.get("window"), (*where, "window")),
        }
    else:
        deploy["restart_policy"] = None
    placement = raw.get("placement") or {}
    deploy["placement"] = {
        "constraints": list(placement.get("constraints") or []),
        "preferences": [{"spread": p.get("spread", "")} for p in placement.get("preferences") or []],
        "max_replicas_per_node": _uint(ctx, placement.get("max_replicas_per_node"), (*path, "placement")) or 0,
    }
    return deploy


def _healthcheck(ctx: Context, raw, path) -> dict | None:
    if raw is None:
        return None
    test = raw.get("test")
    if isinstance(test, str):
        test = ["CMD-SHELL", test]
    retries = raw.get("retries")
    return {
        "test": list(test) if test is not None else None,
        "interval": _duration(ctx, raw.get("interval"), (*path, "interval")),
        "timeout": _duration(ctx, raw.get("timeout"), (*path, "timeout")),
        "start_period": _duration(ctx, raw.get("start_period"), (*path, "start_period")),
        "start_interval": _duration(ctx, raw.get("start_interval"), (*path, "start_interval")),
        "retries": None if retries is None else _uint(ctx, int(retries), (*path, "retries")),
        "disable": bool(raw.get("disable", False)),
    }


def _command(ctx: Context, value, path) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return shell_split(value)
        except ShlexError as error:
            raise ctx.fail(path, str(error)) from None
    return list(value)


def _networks(value) -> dict:
    if value is None:
        return {}
    if isinstance(value, list):
        return {name: None for name in value}
    result = {}
    for name, config in value.items():
        if config is None:
            result[name] = None
        else:
            result[name] = {
                "aliases": list(config.get("aliases") or []),
                "driver_opts": string_map(config.get("driver_opts")),
                "ipv4_address": config.get("ipv4_address", ""),
                "ipv6_address": config.get("ipv6_address", ""),
            }
    return result


def _ulimits(ctx: Context, value, path) -> dict:
    result = {}
    for name, limit in (value or {}).items():
        if isinstance(limit, dict):
            result[name] = {"soft": int(limit["soft"]), "hard": int(limit["hard"])}
        elif isinstance(limit, int) and not isinstance(limit, bool):
            result[name] = {"single": limit}
        else:
            raise ctx.fail((*path, name), f"must be an integer or a mapping with soft and hard, got {limit!r}")
    return result


def _go_percent_s(value) -> str:
    """fmt.Sprintf("%s", value) as the CLI applies it to extra_hosts mapping values."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return f"%!s(bool={'true' if value else 'false'})"
    if isinstance(value, int):
        return f"%!s(int={value})"
    if isinstance(value, float):
        return f"%!s(float64={go_sprint(value)})"
    return str(value)


def _host_entry(entry: str) -> str | None:
    """An extra_hosts entry as "host:ip": "host=ip" and "host:ip" both accepted, "[v6]" brackets dropped."""
    host, found, address = entry.partition("=")
    if not found:
        host, found, address = entry.partition(":")
    if not found:
        return None
    return f"{host}:{_strip_brackets(address)}"


def _strip_brackets(address: str) -> str:
    return address[1:-1] if address.startswith("[") and address.endswith("]") else address


def load_service(ctx: Context, name: str, raw: dict) -> dict:
    path = ("services", name)
    if "shm_size" in raw and not isinstance(raw["shm_size"], str):
        raise ctx.fail((*path, "shm_size"), f"must be a string, got {raw['shm_size']!r}")
    extra_hosts = raw.get("extra_hosts")
    if isinstance(extra_hosts, dict):
        extra_hosts = sorted(
            f"{k}:{_strip_brackets(_go_percent_s(v))}" for k, v in extra_hosts.items() if v is not None
        )
    else:
        extra_hosts = [entry for entry in (_host_entry(e) for e in extra_hosts or []) if entry is not None]
    credential_spec = raw.get("credential_spec")
    service = {
        "name": name,
        "image": raw.get("image", ""),
        "command": _command(ctx, raw.get("command"), (*path, "command")),
        "entrypoint": _command(ctx, raw.get("entrypoint"), (*path, "entrypoint")),
        "environment": _environment(ctx, raw, path),
        "labels": mapping_or_list(raw.get("labels"), "=", False),
        "deploy": _deploy(ctx, raw.get("deploy"), (*path, "deploy")),
        "ports": _ports(ctx, raw.get("ports"), (*path, "ports")),
        "volumes": _volumes(ctx, raw.get("volumes"), (*path, "volumes")),
        "networks": _networks(raw.get("networks")),
        "secrets": _file_refs(ctx, raw.get("secrets")),
        "configs": _file_refs(ctx, raw.get("configs")),
        "healthcheck": _healthcheck(ctx, raw.get("healthcheck"), (*path, "healthcheck")),
        "stop_grace_period": _duration(ctx, raw.get("stop_grace_period"), (*path, "stop_grace_period")),
        "stop_signal": raw.get("stop_signal", ""),
        "hostname": raw.get("hostname", ""),
        "user": raw.get("user", ""),
        "working_dir": raw.get("working_dir", ""),
        "tty": bool(raw.get("tty", False)),
        "stdin_open": bool(raw.get("stdin_open", False)),
        "read_only": bool(raw.get("read_only", False)),
        "init": raw.get("init"),
        "isolation": raw.get("isolation", ""),
        "dns": string_list(raw.get("dns")),
        "dns_search": string_list(raw.get("dns_search")),
        "extra_hosts": extra_hosts,
        "sysctls": mapping_or_list(raw.get("sysctls"), "=", False),
        "ulimits": _ulimits(ctx, raw.get("ulimits"), (*path, "ulimits")),
        "cap_add": list(raw.get("cap_add") or []),
        "cap_drop": list(raw.get("cap_drop") or []),
        "logging": None,
        "credential_spec": {k: credential_spec.get(k, "") for k in ("config", "file", "registry")}
        if credential_spec
        else {"config": "", "file": "", "registry": ""},
        "restart": raw.get("restart", ""),
    }
    logging = raw.get("logging")
    if logging is not None:
        service["logging"] = {"driver": logging.get("driver", ""), "options": string_map(logging.get("options"))}
    return service


# ---------------------------------------------------------------- top-level objects


def _external(value) -> tuple[bool, str]:
    if value is None or value is False:
        return False, ""
    if value is True:
        return True, ""
    return True, (value.get("name") or "")


def load_networks(ctx: Context, raw: dict) -> dict:
    networks = {}
    for key, config in (raw or {}).items():
        config = config or {}
        external, external_name = _external(config.get("external"))
        ipam = config.get("ipam") or {}
        network = {
            "name": config.get("name", ""),
            "driver": config.get("driver", ""),
            "driver_opts": string_map(config.get("driver_opts")),
            "ipam": {"driver": ipam.get("driver", ""), "config": [dict(c) for c in ipam.get("config") or []]},
            "external": external,
            "internal": bool(config.get("internal", False)),
            "attachable": bool(config.get("attachable", False)),
            "labels": mapping_or_list(config.get("labels"), "=", False),
        }
        if external:
            if external_name:
                if network["name"]:
                    raise ctx.fail(
                        ("networks", key),
                        f"network {key}: network.external.name and network.name conflict; only use network.name",
                    )
                if _version_at_least(ctx, (3, 5)):
                    ctx.warnings.append(f"network {key}: network.external.name is deprecated in favor of network.name")
                network["name"] = external_name
            elif not network["name"]:
                network["name"] = key
        networks[key] = network
    return networks


def load_volumes(ctx: Context, raw: dict) -> dict:
    volumes = {}
    for key, config in (raw or {}).items():
        config = config or {}
        external, external_name = _external(config.get("external"))
        volume = {
            "name": config.get("name", ""),
            "driver": config.get("driver", ""),
            "driver_opts": string_map(config.get("driver_opts")) if config.get("driver_opts") is not None else None,
            "external": external,
            "labels": mapping_or_list(config.get("labels"), "=", False),
        }
        if external:
            for conflict in ("driver", "driver_opts", "labels"):
                if volume[conflict]:
                    raise ctx.fail(
                        ("volumes", key, conflict),
                        f'conflicting parameters "external" and "{conflict}" specified for volume "{key}"',
                    )
            if external_name:
                if volume["name"]:
                    raise ctx.fail(
                        ("volumes", key),
                        f"volume {key}: volume.external.name and volume.name conflict; only use volume.name",
                    )
                if _version_at_least(ctx, (3, 4)):
                    ctx.warnings.append(f"volume {key}: volume.external.name is deprecated in favor of volume.name")
                volume["name"] = external_name
            elif not volume["name"]:
                volume["name"] = key
        volumes[key] = volume
    return volumes


def load_file_objects(ctx: Context, raw: dict, kind: str) -> dict:
    """Secrets (kind "secret") or configs (kind "config"); file contents read from the uploaded files."""
    section = f"{kind}s"
    objects = {}
    for key, config in (raw or {}).items():
        path = (section, key)
        external, external_name = _external(config.get("external"))
        obj = {
            "name": config.get("name", ""),
            "file": config.get("file", ""),
            "external": external,
            "labels": mapping_or_list(config.get("labels"), "=", False),
            "driver": config.get("driver", ""),
            "driver_opts": string_map(config.get("driver_opts")),
            "template_driver": config.get("template_driver", ""),
            "data": None,
        }
        if external:
            if external_name:
                if obj["name"]:
                    raise ctx.fail(
                        path,
                        f"{kind} {key}: {kind}.external.name and {kind}.name conflict; only use {kind}.name",
                    )
                if _version_at_least(ctx, (3, 5)):
                    ctx.warnings.append(f"{kind} {key}: {kind}.external.name is deprecated in favor of {kind}.name")
                obj["name"] = external_name
            elif not obj["name"]:
                obj["name"] = key
        elif obj["driver"]:
            if obj["file"]:
                raise ctx.fail(path, f"{kind} {key}: {kind}.driver and {kind}.file conflict; only use {kind}.driver")
        else:
            if not obj["file"]:
                raise ctx.fail(path, f"{kind} {key} needs a file (or external: true)")
            obj["data"] = ctx.read_file((*path, "file"), obj["file"])
        objects[key] = obj
    return objects


def load(ctx: Context, data: dict) -> dict:
    services = {name: load_service(ctx, name, raw or {}) for name, raw in (data.get("services") or {}).items()}
    return {
        "services": services,
        "networks": load_networks(ctx, data.get("networks")),
        "volumes": load_volumes(ctx, data.get("volumes")),
        "secrets": load_file_objects(ctx, data.get("secrets"), "secret"),
        "configs": load_file_objects(ctx, data.get("configs"), "config"),
    }
