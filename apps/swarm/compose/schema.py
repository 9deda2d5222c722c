"""The Compose file format 3.x as `docker stack deploy` (docker/cli 28) validates it, as Python data.

One schema (the 3.13 one, which version-less files and `version: "3"` also use) plus the version in which
each key first appeared, so a 3.2 file with `configs:` is refused as the CLI refuses it. Errors name the
field and the line and say what was expected and what was found.
"""

from __future__ import annotations

import json
import re

from .errors import ComposeError
from .units import DurationError, parse_duration

LATEST = (3, 13)
NAME_KEY = r"^[a-zA-Z0-9._-]+$"


def t(*types, fmt=None, enum=None, minimum=None):
    spec = {"type": types}
    if fmt:
        spec["format"] = fmt
    if enum:
        spec["enum"] = enum
    if minimum is not None:
        spec["minimum"] = minimum
    return spec


STRING, INTEGER, NUMBER, BOOLEAN = t("string"), t("integer"), t("number"), t("boolean")
DURATION = t("string", fmt="duration")


def obj(props=None, *, keys=None, values=None, additional=False, x=False, nullable=False, required=()):
    """A mapping: `props` are the known keys; `keys`/`values` describe free keys (a regex and a schema)."""
    return {
        "type": ("object", "null") if nullable else ("object",),
        "props": props or {},
        "keys": keys,
        "values": values,
        "additional": additional,
        "x": x,
        "required": required,
    }


def arr(items, unique=False):
    return {"type": ("array",), "items": items, "unique": unique}


def one_of(*options, describe):
    return {"oneOf": options, "describe": describe}


LIST_OF_STRINGS = arr(STRING, unique=True)
STRING_OR_LIST = one_of(STRING, LIST_OF_STRINGS, describe="a string or a list of strings")
LIST_OR_DICT = one_of(
    obj(keys=r".+", values=t("string", "number", "null")),
    arr(STRING, unique=True),
    describe="a mapping or a list of strings",
)
STRING_OR_STRINGS = one_of(STRING, arr(STRING), describe="a string or a list of strings")
DRIVER_OPTS = obj(keys=r"^.+$", values=t("string", "number"))
EXTERNAL = one_of(BOOLEAN, obj({"name": STRING}), describe="a boolean or a mapping with a name")
EXTERNAL_OPEN = one_of(BOOLEAN, obj({"name": STRING}, additional=True), describe="a boolean or a mapping with a name")

FILE_REF = one_of(
    STRING,
    obj({"source": STRING, "target": STRING, "uid": STRING, "gid": STRING, "mode": NUMBER}, additional=True),
    describe="a name or a mapping with source, target, uid, gid and mode",
)

UPDATE_CONFIG = obj(
    {
        "parallelism": INTEGER,
        "delay": DURATION,
        "failure_action": STRING,
        "monitor": DURATION,
        "max_failure_ratio": NUMBER,
        "order": t("string", enum=("start-first", "stop-first")),
    }
)

DEPLOY = obj(
    {
        "mode": STRING,
        "endpoint_mode": STRING,
        "replicas": INTEGER,
        "labels": LIST_OR_DICT,
        "rollback_config": UPDATE_CONFIG,
        "update_config": UPDATE_CONFIG,
        "resources": obj(
            {
                "limits": obj({"cpus": STRING, "memory": STRING, "pids": INTEGER}),
                "reservations": obj(
                    {
                        "cpus": STRING,
                        "memory": STRING,
                        "generic_resources": arr(
                            obj({"discrete_resource_spec": obj({"kind": STRING, "value": NUMBER})})
                        ),
                    }
                ),
            }
        ),
        "restart_policy": obj({"condition": STRING, "delay": DURATION, "max_attempts": INTEGER, "window": DURATION}),
        "placement": obj(
            {
                "constraints": arr(STRING),
                "preferences": arr(obj({"spread": STRING})),
                "max_replicas_per_node": INTEGER,
            }
        ),
    },
    nullable=True,
)

SERVICE_NETWORK = one_of(
    obj(
        {
            "aliases": LIST_OF_STRINGS,
            "driver_opts": DRIVER_OPTS,
            "ipv4_address": STRING,
            "ipv6_address": STRING,
        }
    ),
    t("null"),
    describe="a mapping (aliases, driver_opts, ipv4_address, ipv6_address) or empty",
)

SERVICE_VOLUME = one_of(
    STRING,
    obj(
        {
            "type": STRING,
            "source": STRING,
            "target": STRING,
            "read_only": BOOLEAN,
            "consistency": STRING,
            "bind": obj({"propagation": STRING}, additional=True),
            "volume": obj({"nocopy": BOOLEAN}, additional=True),
            "tmpfs": obj({"size": t("integer", minimum=0)}, additional=True),
        },
        required=("type",),
    ),
    describe="a string (source:target[:mode]) or a mapping with type, source and target",
)

SERVICE = obj(
    {
        "deploy": DEPLOY,
        "build": one_of(
            STRING,
            obj(
                {
                    "context": STRING,
                    "dockerfile": STRING,
                    "args": LIST_OR_DICT,
                    "labels": LIST_OR_DICT,
                    "cache_from": LIST_OF_STRINGS,
                    "network": STRING,
                    "target": STRING,
                    "shm_size": t("integer", "string"),
                    "extra_hosts": LIST_OR_DICT,
                },
                additional=True,
            ),
            describe="a string or a mapping",
        ),
        "cap_add": arr(STRING, unique=True),
        "cap_drop": arr(STRING, unique=True),
        "cgroupns_mode": STRING,
        "cgroup_parent": STRING,
        "command": STRING_OR_STRINGS,
        "configs": arr(FILE_REF),
        "container_name": STRING,
        "credential_spec": obj({"config": STRING, "file": STRING, "registry": STRING}),
        "depends_on": LIST_OF_STRINGS,
        "devices": arr(STRING, unique=True),
        "dns": STRING_OR_LIST,
        "dns_search": STRING_OR_LIST,
        "domainname": STRING,
        "entrypoint": STRING_OR_STRINGS,
        "env_file": STRING_OR_LIST,
        "environment": LIST_OR_DICT,
        "expose": arr(t("string", "number"), unique=True),
        "external_links": arr(STRING, unique=True),
        "extra_hosts": LIST_OR_DICT,
        "healthcheck": obj(
            {
                "disable": BOOLEAN,
                "interval": DURATION,
                "retries": NUMBER,
                "test": STRING_OR_STRINGS,
                "timeout": DURATION,
                "start_period": DURATION,
                "start_interval": DURATION,
            }
        ),
        "hostname": STRING,
        "image": STRING,
        "init": BOOLEAN,
        "ipc": STRING,
        "isolation": STRING,
        "labels": LIST_OR_DICT,
        "links": arr(STRING, unique=True),
        "logging": obj({"driver": STRING, "options": obj(keys=r"^.+$", values=t("string", "number", "null"))}),
        "mac_address": STRING,
        "network_mode": STRING,
        "networks": one_of(
            LIST_OF_STRINGS,
            obj(keys=NAME_KEY, values=SERVICE_NETWORK),
            describe="a list of network names or a mapping of network names",
        ),
        "pid": t("string", "null"),
        "ports": arr(
            one_of(
                t("number", fmt="ports"),
                t("string", fmt="ports"),
                obj({"mode": STRING, "target": INTEGER, "published": INTEGER, "protocol": STRING}),
                describe='a port ("[host:]published:target[/protocol]") or a mapping with target and published',
            ),
            unique=True,
        ),
        "privileged": BOOLEAN,
        "read_only": BOOLEAN,
        "restart": STRING,
        "security_opt": arr(STRING, unique=True),
        "shm_size": t("number", "string"),
        "secrets": arr(FILE_REF),
        "sysctls": LIST_OR_DICT,
        "stdin_open": BOOLEAN,
        "stop_grace_period": DURATION,
        "stop_signal": STRING,
        "tmpfs": STRING_OR_LIST,
        "tty": BOOLEAN,
        "ulimits": obj(
            keys=r"^[a-z]+$",
            values=one_of(
                INTEGER,
                obj({"hard": INTEGER, "soft": INTEGER}, required=("soft", "hard")),
                describe="an integer or a mapping with soft and hard",
            ),
            additional=True,
        ),
        "oom_score_adj": INTEGER,
        "user": STRING,
        "userns_mode": STRING,
        "volumes": arr(SERVICE_VOLUME, unique=True),
        "working_dir": STRING,
    },
    x=True,
)

NETWORK = obj(
    {
        "name": STRING,
        "driver": STRING,
        "driver_opts": DRIVER_OPTS,
        "ipam": obj({"driver": STRING, "config": arr(obj({"subnet": STRING}))}),
        "external": EXTERNAL,
        "internal": BOOLEAN,
        "attachable": BOOLEAN,
        "labels": LIST_OR_DICT,
    },
    x=True,
    nullable=True,
)

VOLUME = obj(
    {
        "name": STRING,
        "driver": STRING,
        "driver_opts": DRIVER_OPTS,
        "external": EXTERNAL,
        "labels": LIST_OR_DICT,
        "x-cluster-spec": obj(additional=True),
    },
    x=True,
    nullable=True,
)

SECRET = obj(
    {
        "name": STRING,
        "file": STRING,
        "external": EXTERNAL_OPEN,
        "labels": LIST_OR_DICT,
        "driver": STRING,
        "driver_opts": DRIVER_OPTS,
        "template_driver": STRING,
    },
    x=True,
)

CONFIG = obj(
    {"name": STRING, "file": STRING, "external": EXTERNAL_OPEN, "labels": LIST_OR_DICT, "template_driver": STRING},
    x=True,
)

ROOT = obj(
    {
        "version": STRING,
        "services": obj(keys=NAME_KEY, values=SERVICE),
        "networks": obj(keys=r".*", values=NETWORK, additional=True),
        "volumes": obj(keys=NAME_KEY, values=VOLUME),
        "secrets": obj(keys=NAME_KEY, values=SECRET),
        "configs": obj(keys=NAME_KEY, values=CONFIG),
    },
    x=True,
)

# The version in which each key appeared; `*` matches any name, `[]` any list item.
# Checked with the CLI itself: `docker stack config` on each 3.x version.
GATES: dict[tuple, tuple[int, int]] = {
    ("secrets",): (3, 1),
    ("configs",): (3, 3),
    ("x-*",): (3, 4),
    ("services", "*", "secrets"): (3, 1),
    ("services", "*", "configs"): (3, 3),
    ("services", "*", "credential_spec"): (3, 3),
    ("services", "*", "credential_spec", "config"): (3, 8),
    ("services", "*", "healthcheck", "start_period"): (3, 4),
    ("services", "*", "healthcheck", "start_interval"): (3, 12),
    ("services", "*", "init"): (3, 7),
    ("services", "*", "isolation"): (3, 5),
    ("services", "*", "cgroupns_mode"): (3, 9),
    ("services", "*", "oom_score_adj"): (3, 13),
    ("services", "*", "x-*"): (3, 7),
    ("services", "*", "ports", "[]", "{}"): (3, 2),
    ("services", "*", "volumes", "[]", "{}"): (3, 2),
    ("services", "*", "volumes", "[]", "tmpfs"): (3, 6),
    ("services", "*", "networks", "*", "driver_opts"): (3, 13),
    ("services", "*", "build", "labels"): (3, 3),
    ("services", "*", "build", "cache_from"): (3, 2),
    ("services", "*", "build", "network"): (3, 4),
    ("services", "*", "build", "target"): (3, 4),
    ("services", "*", "build", "shm_size"): (3, 5),
    ("services", "*", "build", "extra_hosts"): (3, 9),
    ("services", "*", "build", "<other>"): (3, 11),
    ("services", "*", "deploy", "endpoint_mode"): (3, 2),
    ("services", "*", "deploy", "rollback_config"): (3, 7),
    ("services", "*", "deploy", "update_config", "order"): (3, 4),
    ("services", "*", "deploy", "resources", "limits", "pids"): (3, 9),
    ("services", "*", "deploy", "resources", "reservations", "generic_resources"): (3, 5),
    ("services", "*", "deploy", "placement", "preferences"): (3, 3),
    ("services", "*", "deploy", "placement", "max_replicas_per_node"): (3, 8),
    ("networks", "*", "attachable"): (3, 2),
    ("networks", "*", "name"): (3, 5),
    ("networks", "*", "x-*"): (3, 7),
    ("volumes", "*", "name"): (3, 4),
    ("volumes", "*", "x-*"): (3, 7),
    ("secrets", "*", "name"): (3, 5),
    ("secrets", "*", "x-*"): (3, 7),
    ("secrets", "*", "driver"): (3, 8),
    ("secrets", "*", "driver_opts"): (3, 8),
    ("secrets", "*", "template_driver"): (3, 8),
    ("configs", "*", "name"): (3, 5),
    ("configs", "*", "x-*"): (3, 7),
    ("configs", "*", "template_driver"): (3, 8),
}


_GATED_LAST = {gated[-1] for gated in GATES}


def parse_version(raw) -> tuple[int, int]:
    """ "3.x", "3" or no version (both the latest 3.13); anything else is refused as the CLI refuses it."""
    if raw is None:
        return LATEST
    if not isinstance(raw, str):
        raise ComposeError(f'must be a string such as "3.8", got {describe(raw)}', field="version")
    text = raw.strip()
    if text == "3":
        return LATEST
    match = re.fullmatch(r"3\.(\d+)", text)
    if not match or int(match.group(1)) > LATEST[1]:
        raise ComposeError(
            f'unsupported Compose file version: {raw}; docker stack deploy reads versions "3.0" to "3.13" or none',
            field="version",
        )
    return (3, int(match.group(1)))


def version_text(version: tuple[int, int]) -> str:
    return f"{version[0]}.{version[1]}"


def describe(value) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return repr(value)


_TYPE_WORDS = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean (true or false)",
    "null": "empty",
    "array": "a list",
    "object": "a mapping",
}


def _type_ok(value, kind: str) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "null":
        return value is None
    if kind == "array":
        return isinstance(value, list)
    if kind == "object":
        return isinstance(value, dict)
    raise AssertionError(kind)


def _expected(types) -> str:
    words = [_TYPE_WORDS[k] for k in types]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


class Validator:
    def __init__(self, version: tuple[int, int], line_of, format_path):
        self.version = version
        self.gates = [(gated, since) for gated, since in GATES.items() if version < since]
        self.line_of = line_of
        self.format_path = format_path

    def fail(self, path, message):
        return ComposeError(message, line=self.line_of(path), field=self.format_path(path) or None)

    def gate(self, path: tuple, shape: str | None = None):
        if not self.gates:
            return
        last = shape if shape is not None else path[-1]
        if last not in _GATED_LAST and not (isinstance(last, str) and last.startswith("x-")):
            return
        pattern = [("[]" if isinstance(p, int) else p) for p in path]
        for gated, version in self.gates:
            probe = list(pattern)
            if shape is not None:
                probe = [*probe, shape]
            if len(gated) != len(probe):
                continue
            if all(_gate_part(g, p) for g, p in zip(gated, probe, strict=True)):
                raise self.fail(
                    path,
                    f"needs Compose file version {version_text(version)} or later; the file is version "
                    f"{version_text(self.version)}",
                )

    def check(self, value, spec, path: tuple):
        if "oneOf" in spec:
            self.one_of(value, spec, path)
            return
        types = spec["type"]
        if not any(_type_ok(value, k) for k in types):
            raise self.fail(path, f"must be {_expected(types)}, got {describe(value)}")
        if isinstance(value, dict) and "props" in spec:
            self.mapping(value, spec, path)
        elif isinstance(value, list) and "items" in spec:
            self.sequence(value, spec, path)
        elif isinstance(value, str):
            if "enum" in spec and value not in spec["enum"]:
                raise self.fail(path, f"must be one of {', '.join(spec['enum'])}, got {describe(value)}")
            fmt = spec.get("format")
            if fmt == "duration":
                try:
                    parse_duration(value)
                except DurationError as error:
                    raise self.fail(path, str(error)) from None
            elif fmt == "ports":
                from .ports import PortError, parse_port_spec

                try:
                    parse_port_spec(value)
                except PortError as error:
                    raise self.fail(path, str(error)) from None
        elif (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and spec.get("minimum") is not None
            and value < spec["minimum"]
        ):
            raise self.fail(path, f"must be at least {spec['minimum']}, got {value}")

    def one_of(self, value, spec, path):
        matches = [option for option in spec["oneOf"] if any(_type_ok(value, k) for k in option.get("type", ()))]
        if not matches:
            raise self.fail(path, f"must be {spec['describe']}, got {describe(value)}")
        if isinstance(value, dict):
            self.gate(path, "{}")
        self.check(value, matches[0], path)

    def mapping(self, value: dict, spec, path):
        for key in spec.get("required", ()):
            if key not in value:
                raise self.fail(path, f'"{key}" is required')
        for key, item in value.items():
            where = (*path, key)
            if key in spec["props"]:
                self.gate(where)
                self.check(item, spec["props"][key], where)
            elif spec["x"] and key.startswith("x-"):
                self.gate(where)
            elif spec["keys"] is not None and re.search(spec["keys"], key):
                self.gate(where)
                if spec["values"] is not None:
                    self.check(item, spec["values"], where)
            elif spec["additional"]:
                if len(path) == 3 and path[0] == "services" and path[2] == "build":
                    self.gate((*path, "<other>"))
            elif spec["keys"] == NAME_KEY:
                raise self.fail(where, f'"{key}" is not a valid name: use letters, digits, ".", "_" and "-"')
            else:
                raise self.fail(where, f'unknown key "{key}"')

    def sequence(self, value: list, spec, path):
        if spec.get("unique"):
            seen: dict[str, int] = {}
            for index, item in enumerate(value):
                ident = json.dumps(item, sort_keys=True, default=str)
                if ident in seen:
                    raise self.fail((*path, index), f"duplicate item {describe(item)} (also item {seen[ident]})")
                seen[ident] = index
        for index, item in enumerate(value):
            self.check(item, spec["items"], (*path, index))


def _gate_part(gated: str, actual) -> bool:
    if gated == "*":
        return True
    if gated == "x-*":
        return isinstance(actual, str) and actual.startswith("x-")
    return gated == actual


def validate(data: dict, version: tuple[int, int], line_of, format_path) -> None:
    Validator(version, line_of, format_path).check(data, ROOT, ())
