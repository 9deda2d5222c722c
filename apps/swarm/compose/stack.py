"""`load_stack`: a Compose file read exactly as `docker stack deploy` reads it, turned into Engine API bodies."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import convert, loader, schema, template, yamlsrc
from .errors import ComposeError

_SWARM_NAME = re.compile(r"^[a-zA-Z0-9](?:[-_]*[A-Za-z0-9]+)*$")


@dataclass
class StackPlan:
    """What a `docker stack deploy` of one Compose file would create, by name, with no Docker call made.

    - `services`: Compose service key -> the POST /services/create body (API 1.41 names). Networks are
      referenced by NAME in `TaskTemplate.Networks[].Target` (the engine resolves names itself); secrets and
      configs by `SecretName`/`ConfigName` with `SecretID`/`ConfigID` left "" for the runner to fill in;
      a config-based credential spec holds the config NAME in `Privileges.CredentialSpec.Config`.
    - `networks`: network name -> NetworkCreate body (Name, Driver, Options, Internal, Attachable, Labels,
      IPAM), only for the networks some service uses and that are not external.
    - `secrets` / `configs`: name -> SecretSpec / ConfigSpec body; `Data` is base64 text, as the JSON API
      takes it (decode it for docker-py's create_secret/create_config, which encode again). Secret data is
      secret: never log, store in clear or return these bodies.
    - `volumes`: volume name -> {Name, Driver, DriverOpts, Labels, External}, for information: the CLI
      creates no volume; each engine creates one on first use from the mount's VolumeOptions.
    - `external_networks` / `external_secrets` / `external_configs`: names that must already exist.
    - `warnings`: what the CLI would print on stderr while reading the file.
    - `config`: the loaded Compose file (the shape `docker stack config` prints, file contents left out),
      for export and diffs.
    """

    namespace: str
    services: dict[str, dict] = field(default_factory=dict)
    networks: dict[str, dict] = field(default_factory=dict)
    secrets: dict[str, dict] = field(default_factory=dict)
    configs: dict[str, dict] = field(default_factory=dict)
    volumes: dict[str, dict] = field(default_factory=dict)
    external_networks: list[str] = field(default_factory=list)
    external_secrets: list[str] = field(default_factory=list)
    external_configs: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    config: dict = field(default_factory=dict)


def _check_namespace(namespace: str) -> str:
    if not isinstance(namespace, str) or not namespace.strip(" \t\n\"'"):
        raise ComposeError("the stack name must not be empty", field="namespace")
    if not _SWARM_NAME.match(namespace) or len(namespace) > 63:
        raise ComposeError(
            f'the stack name "{namespace}" is not valid: use letters, digits, "-" and "_" (at most 63 characters)',
            field="namespace",
        )
    return namespace


def _files(files: dict | None, working_dir: str | None) -> dict[str, bytes]:
    result: dict[str, bytes] = {}
    for key, value in (files or {}).items():
        normalized = loader.normalize_file_key(str(key), working_dir)
        if normalized is None:
            raise ComposeError(f'the uploaded file name "{key}" is not a path inside the project', field="files")
        result[normalized] = value.encode("utf-8") if isinstance(value, str) else bytes(value)
    return result


def _forbidden(data: dict, src: yamlsrc.Source) -> None:
    services = data.get("services")
    if not isinstance(services, dict):
        return
    found: dict[str, tuple] = {}
    for name, service in services.items():
        if not isinstance(service, dict):
            continue
        for key in service:
            if key in loader.FORBIDDEN and key not in found:
                found[key] = ("services", name, key)
    if found:
        first = min(found.values(), key=lambda p: src.line(p) or 0)
        details = "; ".join(f"{key}: {loader.FORBIDDEN[key]}" for key in sorted(found))
        raise ComposeError(
            f"Compose file contains unsupported options: {details}",
            line=src.line(first),
            field=yamlsrc.format_path(first),
        )


def _property_warnings(data: dict) -> list[str]:
    services = data.get("services")
    if not isinstance(services, dict):
        return []
    unsupported: set[str] = set()
    deprecated: set[str] = set()
    for service in services.values():
        if not isinstance(service, dict):
            continue
        unsupported.update(k for k in loader.UNSUPPORTED if k in service)
        deprecated.update(k for k in loader.DEPRECATED if k in service)
    warnings = []
    if unsupported:
        warnings.append("Ignoring unsupported options: " + ", ".join(sorted(unsupported)))
    if deprecated:
        warnings.append(
            "Ignoring deprecated options:\n\n"
            + "\n\n".join(f"{key}: {loader.DEPRECATED[key]}" for key in sorted(deprecated))
        )
    return warnings


def load_stack(
    text: str | bytes,
    *,
    namespace: str,
    files: dict[str, str | bytes] | None = None,
    variables: dict[str, str] | None = None,
    working_dir: str | None = None,
) -> StackPlan:
    """Read a Compose file as `docker stack deploy -c FILE NAMESPACE` would, without any Docker call.

    `files` are the files the Compose file names (env_file, secret and config `file:`), keyed by their path
    relative to the Compose file as uploaded ("./data" and "data" are the same key). `variables` take the
    place of the CLI's process environment for interpolation and for `environment` entries with no value.
    `working_dir` (optional) is the folder relative bind-mount sources resolve against; without it a
    relative bind source is an error, since Davit has no folder on the nodes.

    Raises ComposeError (with line and field) for anything the CLI or the engine would refuse.
    """
    namespace = _check_namespace(namespace)
    variables = {str(k): str(v) for k, v in (variables or {}).items()}
    uploaded = _files(files, working_dir)

    src = yamlsrc.parse(text)
    data = src.data
    if not isinstance(data, dict):
        raise ComposeError("the top level of a Compose file must be a mapping (services:, networks:, ...)", line=1)
    try:
        version = schema.parse_version(data.get("version"))
    except ComposeError as error:
        error.line = src.line(("version",))
        raise
    _forbidden(data, src)
    warnings_after = _property_warnings(data)
    data = template.interpolate(data, variables, src.line, yamlsrc.format_path)
    schema.validate(data, version, src.line, yamlsrc.format_path)

    ctx = loader.Context(
        version=version,
        variables=variables,
        files=uploaded,
        working_dir=working_dir,
        line_of=src.line,
        format_path=yamlsrc.format_path,
    )
    loaded = loader.load(ctx, data)

    plan = StackPlan(namespace=namespace, config=loaded)
    for name, service in loaded["services"].items():
        full = convert.scope(namespace, name)
        if not _SWARM_NAME.match(full) or len(full) > 63:
            raise ComposeError(
                f'the service name "{full}" is not valid in a swarm: use letters, digits, "-" and "_" '
                "(at most 63 characters with the stack name)",
                line=src.line(("services", name)),
                field=f"services.{name}",
            )
        plan.services[name] = convert.convert_service(ctx, namespace, service, loaded)

    used = convert.service_networks_used(loaded["services"])
    plan.networks, externals = convert.convert_networks(namespace, loaded["networks"], used)
    plan.external_networks = [n for n in externals if n not in convert.NOT_USER_DEFINED]
    plan.secrets = convert.convert_file_objects(namespace, loaded["secrets"], "secret")
    plan.configs = convert.convert_file_objects(namespace, loaded["configs"], "config")
    plan.external_secrets = _external_names(loaded, "secrets")
    plan.external_configs = _external_names(loaded, "configs")
    for section in ("secrets", "configs"):  # the contents live in plan.secrets/configs only
        for obj in loaded[section].values():
            obj.pop("data", None)
    for key, volume in sorted(loaded["volumes"].items()):
        name = volume["name"] or convert.scope(namespace, key)
        plan.volumes[name] = {
            "Name": name,
            "Driver": volume["driver"],
            "DriverOpts": dict(volume["driver_opts"] or {}),
            "Labels": {} if volume["external"] else convert.stack_labels(namespace, volume["labels"]),
            "External": volume["external"],
        }
    plan.warnings = ctx.warnings + warnings_after
    return plan


def _external_names(loaded: dict, section: str) -> list[str]:
    """Names of external secrets/configs that some service references (they must exist already)."""
    used = {ref.get("source") for service in loaded["services"].values() for ref in service[section]}
    if section == "configs":
        used.update(
            s["credential_spec"]["config"] for s in loaded["services"].values() if s["credential_spec"]["config"]
        )
    names = []
    for key, obj in sorted(loaded[section].items()):
        if obj["external"] and key in used and obj["name"] not in names:
            names.append(obj["name"])
    return names
