"""A stack's specs out of Davit and back in: a Compose file, and Docker 1.12 Distributed Application Bundles (.dab).

Pure conversion (no Docker, no Django). `specs` is a stack as a revision stores it (apps.projects.services.specs_of):
{"namespace", "services": {key: ServiceSpec}, "networks": {name: NetworkCreate}, "secrets": {name: SecretSpec
without Data}, "configs": {...}, "volumes": {...}, "external_networks" / "external_secrets" / "external_configs"}.

- `compose_from_specs(specs, namespace)`: a Compose file that `apps.swarm.compose.load_stack` (and so
  `docker stack deploy`) turns back into the same specs. Secret and config contents are never written into it:
  each one is named as a file (`./secrets/KEY`, `./configs/KEY`, see `object_files`) to upload with it. What
  Compose cannot say (e.g. placement platforms, SELinux options) is listed in a comment at the top, found by
  reading the file back and comparing.
- `bundle_from_specs(specs, namespace)` / `specs_from_bundle(bundle, namespace)`: the .dab format of Docker 1.12
  ({"Version": "0.1", "Services": {name: {Image, Command, Args, Env, Labels, Networks, Ports[{Protocol, Port}],
  User, WorkingDir}}}), converted as Docker 1.12's `docker deploy` did (networks NAME_net on the overlay driver,
  ports published on an auto-assigned port), with the labels today's `docker stack deploy` adds.
  `parse_bundle(text)` reads and checks a bundle, naming the field of any mistake.
"""

from __future__ import annotations

import copy
import json
import re
from decimal import Decimal

import yaml

from .compose import ComposeError, load_stack
from .compose.reference import ReferenceError_, check_image, normalize_image
from .specs import normalize, normalize_file_object, normalize_network, spec_changes

NAMESPACE_LABEL = "com.docker.stack.namespace"
IMAGE_LABEL = "com.docker.stack.image"
COMPOSE_VERSION = "3.13"
BUNDLE_VERSION = "0.1"
MAX_BUNDLE_BYTES = 1024 * 1024
_SWARM_NAME = re.compile(r"^[a-zA-Z0-9](?:[-_]*[A-Za-z0-9]+)*$")
_KEY = re.compile(r"^[a-zA-Z0-9._-]+$")


class ExportError(ValueError):
    """Specs that cannot be written as asked (the message names the service or object and the cause)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class BundleError(ValueError):
    """A bundle Davit cannot read: the message names the field (Services.web.Ports[0].Port) and the cause."""

    def __init__(self, message: str, field: str | None = None, line: int | None = None):
        where = f"{field}: " if field else ""
        at = f" (line {line})" if line else ""
        super().__init__(f"{where}{message}{at}")
        self.message = message
        self.field = field
        self.line = line


# ------------------------------------------------------------------------------------------------ helpers
def _prefix(namespace: str) -> str:
    return f"{namespace}_"


def _scoped_key(namespace: str, name: str) -> str | None:
    """The Compose key of an object named NAMESPACE_key, or None when the name is not scoped to the stack."""
    prefix = _prefix(namespace)
    if name.startswith(prefix) and _KEY.match(name[len(prefix) :]):
        return name[len(prefix) :]
    return None


def _without(labels: dict | None, *keys: str) -> dict:
    return {k: v for k, v in (labels or {}).items() if k not in keys}


def go_duration(nanoseconds: int) -> str:
    """Integer nanoseconds in Go's time.Duration syntax that parse_duration reads back exactly ("1m30s")."""
    value = int(nanoseconds)
    if value == 0:
        return "0s"
    sign = "-" if value < 0 else ""
    value = abs(value)
    parts = []
    for unit, size in (("h", 3_600_000_000_000), ("m", 60_000_000_000), ("s", 1_000_000_000), ("ms", 1_000_000)):
        if value >= size:
            parts.append(f"{value // size}{unit}")
            value %= size
    if value >= 1000:
        parts.append(f"{value // 1000}us")
        value %= 1000
    if value:
        parts.append(f"{value}ns")
    return sign + "".join(parts)


def _cpus(nano: int) -> str:
    text = format(Decimal(int(nano)) / Decimal(1_000_000_000), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def image_as_written(spec: dict) -> str:
    """The image a person wrote: the stack's image label when it still names the running image, else the image."""
    image = ((spec.get("TaskTemplate") or {}).get("ContainerSpec") or {}).get("Image", "")
    label = (spec.get("Labels") or {}).get(IMAGE_LABEL)
    if label and normalize_image(label) == image:
        return label
    return image


# ------------------------------------------------------------------------------------------------ YAML out
_PLAIN = re.compile(r"^[A-Za-z/][A-Za-z0-9_./@:+=-]*$")
_RESERVED = {"true", "false", "yes", "no", "on", "off", "y", "n", "null", "~"}


class _Dumper(yaml.SafeDumper):
    """Strings are plain only when no YAML reader (go-yaml v3 included) could take them for anything else."""


def _represent_str(dumper, value: str):
    plain = bool(_PLAIN.match(value)) and value.lower() not in _RESERVED and not value.endswith(":")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=None if plain else '"')


_Dumper.add_representer(str, _represent_str)


def _escape(value):
    """Every `$` doubled: the file is interpolated when it is read, and the specs hold the final values."""
    if isinstance(value, str):
        return value.replace("$", "$$")
    if isinstance(value, list):
        return [_escape(v) for v in value]
    if isinstance(value, dict):
        return {k: _escape(v) for k, v in value.items()}
    return value


# ------------------------------------------------------------------------------------------------ Compose
class _Names:
    """Compose keys for the stack's networks, volumes, secrets and configs (scoped names lose the prefix;
    other names keep themselves as key, with `name:`)."""

    def __init__(self, namespace: str):
        self.namespace = namespace
        self.keys: dict[tuple[str, str], str] = {}
        self.used: dict[str, set[str]] = {}

    def key(self, section: str, name: str) -> tuple[str, bool]:
        """(key, scoped) for the object `name` of `section`."""
        if (section, name) in self.keys:
            key = self.keys[(section, name)]
            return key, _scoped_key(self.namespace, name) == key
        taken = self.used.setdefault(section, set())
        scoped = _scoped_key(self.namespace, name)
        if scoped is not None and scoped not in taken:
            key, is_scoped = scoped, True
        else:
            base = re.sub(r"[^a-zA-Z0-9._-]", "_", name) or section[:-1]
            key, number = base, 2
            while key in taken:
                key, number = f"{base}-{number}", number + 1
            is_scoped = False
        taken.add(key)
        self.keys[(section, name)] = key
        return key, is_scoped


def _allocate_files(names: _Names, specs: dict) -> dict[tuple[str, str], str]:
    """Keys for every secret and config of the stack, in a fixed order, and the file each one's content is in."""
    paths = {}
    for kind in ("secret", "config"):
        for name, body in sorted((specs.get(f"{kind}s") or {}).items()):
            key, _ = names.key(f"{kind}s", body.get("Name") or name)
            if kind == "secret" and (body.get("Driver") or {}).get("Name"):
                continue  # a driver secret has no content of its own
            paths[(kind, body.get("Name") or name)] = f"{kind}s/{key}"
    return paths


def object_files(specs: dict, namespace: str) -> dict[tuple[str, str], str]:
    """{("secret" | "config", object name): the path the exported Compose file names for its content}."""
    return _ComposeWriter(specs, namespace).files


def _network_entry(body: dict, scoped: bool) -> dict:
    entry: dict = {}
    if not scoped:
        entry["name"] = body.get("Name", "")
    driver = body.get("Driver") or "overlay"
    if driver != "overlay":
        entry["driver"] = driver
    if body.get("Options"):
        entry["driver_opts"] = {k: str(v) for k, v in body["Options"].items()}
    if "IPAM" in body:
        ipam = body["IPAM"] or {}
        out: dict = {}
        if ipam.get("Driver"):
            out["driver"] = ipam["Driver"]
        configs = [{"subnet": c["Subnet"]} for c in ipam.get("Config") or [] if c.get("Subnet")]
        if configs:
            out["config"] = configs
        if out:
            entry["ipam"] = out
    if body.get("Internal"):
        entry["internal"] = True
    if body.get("Attachable"):
        entry["attachable"] = True
    labels = _without(body.get("Labels"), NAMESPACE_LABEL)
    if labels:
        entry["labels"] = labels
    return entry


def _is_plain_default(body: dict, namespace: str) -> bool:
    return _network_entry(body, True) == {} and body.get("Name") == f"{namespace}_default"


def _update_config(config: dict) -> dict:
    out: dict = {"parallelism": int(config.get("Parallelism") or 0)}
    if config.get("Delay"):
        out["delay"] = go_duration(config["Delay"])
    if config.get("FailureAction"):
        out["failure_action"] = config["FailureAction"]
    if config.get("Monitor"):
        out["monitor"] = go_duration(config["Monitor"])
    if config.get("MaxFailureRatio"):
        out["max_failure_ratio"] = config["MaxFailureRatio"]
    if config.get("Order"):
        out["order"] = config["Order"]
    return out


def _resources(section: dict, *, limits: bool) -> dict:
    out: dict = {}
    if section.get("NanoCPUs"):
        out["cpus"] = _cpus(section["NanoCPUs"])
    if section.get("MemoryBytes"):
        out["memory"] = str(int(section["MemoryBytes"]))
    if limits and section.get("Pids"):
        out["pids"] = int(section["Pids"])
    generic = []
    for resource in section.get("GenericResources") or []:
        discrete = resource.get("DiscreteResourceSpec")
        if discrete:
            generic.append(
                {"discrete_resource_spec": {"kind": discrete.get("Kind", ""), "value": int(discrete.get("Value", 0))}}
            )
    if generic and not limits:
        out["generic_resources"] = generic
    return out


class _ComposeWriter:
    def __init__(self, specs: dict, namespace: str):
        self.specs = specs
        self.namespace = namespace
        self.names = _Names(namespace)
        self.networks: dict[str, dict] = {}
        self.volumes: dict[str, dict] = {}
        self.secrets: dict[str, dict] = {}
        self.configs: dict[str, dict] = {}
        # objects named NAMESPACE_key get `key` first; other names (`name:`, external) take what is left
        for section in ("networks", "volumes", "secrets", "configs"):
            for name, body in sorted((specs.get(section) or {}).items()):
                name = body.get("Name") or name
                if _scoped_key(namespace, name) is not None:
                    self.names.key(section, name)
        self.files = _allocate_files(self.names, specs)
        self.known_volumes = {v.get("Name", k): v for k, v in (specs.get("volumes") or {}).items()}

    # top-level objects ---------------------------------------------------------------------------------
    def network(self, name: str) -> str:
        bodies = self.specs.get("networks") or {}
        body = next((b for n, b in bodies.items() if (b.get("Name") or n) == name), None)
        key, scoped = self.names.key("networks", name)
        if key not in self.networks:
            if body is None and scoped:
                self.networks[key] = {}  # the stack's own network, with no settings of its own
            elif body is None:
                self.networks[key] = {"external": True, "name": name}
            else:
                self.networks[key] = _network_entry(body, scoped)
        return key

    def file_object(self, kind: str, name: str) -> str:
        section = f"{kind}s"
        store = self.secrets if kind == "secret" else self.configs
        bodies = self.specs.get(section) or {}
        body = next((b for n, b in bodies.items() if (b.get("Name") or n) == name), None)
        key, scoped = self.names.key(section, name)
        if key in store:
            return key
        if body is None:
            store[key] = {"external": True, "name": name}
            return key
        entry: dict = {}
        if not scoped:
            entry["name"] = name
        driver = body.get("Driver") or {}
        if kind == "secret" and driver.get("Name"):
            entry["driver"] = driver["Name"]
            if driver.get("Options"):
                entry["driver_opts"] = dict(driver["Options"])
        else:
            entry["file"] = "./" + self.files[(kind, name)]
        labels = _without(body.get("Labels"), NAMESPACE_LABEL)
        if labels:
            entry["labels"] = labels
        if (body.get("Templating") or {}).get("Name"):
            entry["template_driver"] = body["Templating"]["Name"]
        store[key] = entry
        return key

    def volume(self, name: str, options: dict | None) -> str:
        key, scoped = self.names.key("volumes", name)
        if key in self.volumes:
            return key
        known = self.known_volumes.get(name)
        entry: dict = {}
        if known is not None:
            if known.get("External"):
                entry = {"external": True, "name": name}
            else:
                if not scoped:
                    entry["name"] = name
                if known.get("Driver"):
                    entry["driver"] = known["Driver"]
                if known.get("DriverOpts"):
                    entry["driver_opts"] = dict(known["DriverOpts"])
                labels = _without(known.get("Labels"), NAMESPACE_LABEL)
                if labels:
                    entry["labels"] = labels
        elif options is None or "Labels" not in options:
            entry = {"external": True, "name": name}
        else:
            if not scoped:
                entry["name"] = name
            driver = options.get("DriverConfig")
            if driver is not None:
                if driver.get("Name"):
                    entry["driver"] = driver["Name"]
                entry["driver_opts"] = dict(driver.get("Options") or {})
            labels = _without(options.get("Labels"), NAMESPACE_LABEL)
            if labels:
                entry["labels"] = labels
        self.volumes[key] = entry
        return key

    # services ------------------------------------------------------------------------------------------
    def service(self, key: str, spec: dict) -> dict:
        name = spec.get("Name", "")
        if name != f"{self.namespace}_{key}":
            raise ExportError(
                f"service {name!r} is not named {self.namespace}_{key}; Compose can only name services STACK_key",
                field=f"services.{key}",
            )
        task = spec.get("TaskTemplate") or {}
        container = task.get("ContainerSpec") or {}
        out: dict = {"image": image_as_written(spec)}
        if container.get("Command"):
            out["entrypoint"] = list(container["Command"])
        if container.get("Args"):
            out["command"] = list(container["Args"])
        if container.get("Env"):
            out["environment"] = list(container["Env"])
        labels = _without(container.get("Labels"), NAMESPACE_LABEL)
        if labels:
            out["labels"] = labels
        for source, target in (("Hostname", "hostname"), ("Dir", "working_dir"), ("User", "user")):
            if container.get(source):
                out[target] = container[source]
        if "Init" in container and container["Init"] is not None:
            out["init"] = bool(container["Init"])
        if container.get("StopSignal"):
            out["stop_signal"] = container["StopSignal"]
        if container.get("StopGracePeriod") is not None:
            out["stop_grace_period"] = go_duration(container["StopGracePeriod"])
        for source, target in (("TTY", "tty"), ("OpenStdin", "stdin_open"), ("ReadOnly", "read_only")):
            if container.get(source):
                out[target] = True
        if container.get("Isolation"):
            out["isolation"] = container["Isolation"]
        health = container.get("Healthcheck")
        if health is not None:
            out["healthcheck"] = self.healthcheck(health)
        hosts = []
        for entry in container.get("Hosts") or []:
            parts = entry.split()
            if len(parts) >= 2:
                hosts.extend(f"{host}:{parts[0]}" for host in parts[1:])
        if hosts:
            out["extra_hosts"] = hosts
        dns = container.get("DNSConfig") or {}
        if dns.get("Nameservers"):
            out["dns"] = list(dns["Nameservers"])
        if dns.get("Search"):
            out["dns_search"] = list(dns["Search"])
        if container.get("Sysctls"):
            out["sysctls"] = {k: str(v) for k, v in container["Sysctls"].items()}
        if container.get("CapabilityAdd"):
            out["cap_add"] = list(container["CapabilityAdd"])
        if container.get("CapabilityDrop"):
            out["cap_drop"] = list(container["CapabilityDrop"])
        ulimits = {}
        for limit in container.get("Ulimits") or []:
            soft, hard = int(limit.get("Soft", 0)), int(limit.get("Hard", 0))
            ulimits[limit.get("Name", "")] = soft if soft == hard else {"soft": soft, "hard": hard}
        if ulimits:
            out["ulimits"] = ulimits
        credential = ((container.get("Privileges") or {}).get("CredentialSpec")) or {}
        if credential.get("Config"):
            out["credential_spec"] = {"config": self.file_object("config", credential["Config"])}
        elif credential.get("File"):
            out["credential_spec"] = {"file": credential["File"]}
        elif credential.get("Registry"):
            out["credential_spec"] = {"registry": credential["Registry"]}
        mounts = [self.mount(mount) for mount in container.get("Mounts") or []]
        if mounts:
            out["volumes"] = mounts
        for kind in ("secret", "config"):
            refs = []
            for ref in container.get(f"{kind.capitalize()}s") or []:
                file = ref.get("File")
                if not file:
                    continue  # a config given to the runtime (credential spec), written above
                source = self.file_object(kind, ref.get(f"{kind.capitalize()}Name") or "")
                entry: dict = {"source": source, "target": file.get("Name", "")}
                if (file.get("UID") or "0") != "0":
                    entry["uid"] = file["UID"]
                if (file.get("GID") or "0") != "0":
                    entry["gid"] = file["GID"]
                if file.get("Mode") is not None and int(file["Mode"]) != 0o444:
                    entry["mode"] = int(file["Mode"])
                refs.append(entry)
            if refs:
                out[f"{kind}s"] = refs

        networks = self.service_networks(key, task.get("Networks") or spec.get("Networks") or [])
        if networks is not None:
            out["networks"] = networks
        endpoint = spec.get("EndpointSpec") or {}
        ports = []
        for port in endpoint.get("Ports") or []:
            entry = {"target": int(port.get("TargetPort") or 0)}
            if port.get("PublishedPort"):
                entry["published"] = int(port["PublishedPort"])
            if port.get("Protocol"):
                entry["protocol"] = port["Protocol"]
            if port.get("PublishMode"):
                entry["mode"] = port["PublishMode"]
            ports.append(entry)
        if ports:
            out["ports"] = ports
        if task.get("LogDriver") is not None:
            driver = task["LogDriver"]
            logging: dict = {}
            if driver.get("Name"):
                logging["driver"] = driver["Name"]
            if driver.get("Options"):
                logging["options"] = {k: str(v) for k, v in driver["Options"].items()}
            out["logging"] = logging
        deploy = self.deploy(spec, task, endpoint)
        if deploy:
            out["deploy"] = deploy
        return out

    def healthcheck(self, health: dict) -> dict:
        out: dict = {}
        if health.get("Test"):
            out["test"] = list(health["Test"])
        for source, target in (
            ("Interval", "interval"),
            ("Timeout", "timeout"),
            ("StartPeriod", "start_period"),
            ("StartInterval", "start_interval"),
        ):
            if health.get(source):
                out[target] = go_duration(health[source])
        if health.get("Retries"):
            out["retries"] = int(health["Retries"])
        return out

    def mount(self, mount: dict) -> dict:
        kind = mount.get("Type") or "volume"
        out: dict = {"type": kind}
        if kind == "volume" and mount.get("Source"):
            out["source"] = self.volume(mount["Source"], mount.get("VolumeOptions"))
        elif mount.get("Source"):
            out["source"] = mount["Source"]
        if mount.get("Target"):
            out["target"] = mount["Target"]
        if mount.get("ReadOnly"):
            out["read_only"] = True
        if mount.get("Consistency") and mount["Consistency"] != "default":
            out["consistency"] = mount["Consistency"]
        if kind == "volume" and (mount.get("VolumeOptions") or {}).get("NoCopy"):
            out["volume"] = {"nocopy": True}
        if kind in ("bind", "npipe") and (mount.get("BindOptions") or {}).get("Propagation"):
            out["bind"] = {"propagation": mount["BindOptions"]["Propagation"]}
        if kind == "tmpfs" and (mount.get("TmpfsOptions") or {}).get("SizeBytes"):
            out["tmpfs"] = {"size": int(mount["TmpfsOptions"]["SizeBytes"])}
        return out

    def service_networks(self, key: str, attachments: list[dict]):
        if not attachments:
            return None  # Compose cannot say "no network": the default one it gives instead is reported
        default = f"{self.namespace}_default"
        bodies = {(b.get("Name") or n): b for n, b in (self.specs.get("networks") or {}).items()}
        if (
            len(attachments) == 1
            and attachments[0].get("Target") == default
            and list(attachments[0].get("Aliases") or []) == [key]
            and not attachments[0].get("DriverOpts")
            and (default not in bodies or _is_plain_default(bodies[default], self.namespace))
        ):
            self.network(default)
            return None
        out: dict = {}
        for attachment in sorted(attachments, key=lambda a: a.get("Target", "")):
            target = attachment.get("Target", "")
            network_key = self.network(target)
            aliases = list(attachment.get("Aliases") or [])
            if target not in ("bridge", "host", "none") and key in aliases:
                aliases.reverse()
                aliases.remove(key)  # the last one: `docker stack deploy` appends the service's own name
                aliases.reverse()
            entry: dict = {}
            if aliases:
                entry["aliases"] = aliases
            if attachment.get("DriverOpts"):
                entry["driver_opts"] = {k: str(v) for k, v in attachment["DriverOpts"].items()}
            out[network_key] = entry or None
        return out

    def deploy(self, spec: dict, task: dict, endpoint: dict) -> dict:
        out: dict = {}
        mode = spec.get("Mode") or {}
        if "Global" in mode:
            out["mode"] = "global"
        elif "GlobalJob" in mode:
            out["mode"] = "global-job"
        elif "ReplicatedJob" in mode:
            out["mode"] = "replicated-job"
            job = mode.get("ReplicatedJob") or {}
            if job.get("TotalCompletions") is not None or job.get("MaxConcurrent") is not None:
                out["replicas"] = int(job.get("TotalCompletions", job.get("MaxConcurrent")) or 0)
        else:
            replicas = (mode.get("Replicated") or {}).get("Replicas")
            if replicas is not None:
                out["replicas"] = int(replicas)
        labels = _without(spec.get("Labels"), NAMESPACE_LABEL, IMAGE_LABEL)
        if labels:
            out["labels"] = labels
        if spec.get("UpdateConfig") is not None:
            out["update_config"] = _update_config(spec["UpdateConfig"])
        if spec.get("RollbackConfig") is not None:
            out["rollback_config"] = _update_config(spec["RollbackConfig"])
        resources = task.get("Resources") or {}
        section: dict = {}
        if resources.get("Limits") is not None:
            section["limits"] = _resources(resources["Limits"], limits=True)
        if resources.get("Reservations") is not None:
            section["reservations"] = _resources(resources["Reservations"], limits=False)
        if section:
            out["resources"] = section
        restart = task.get("RestartPolicy")
        if restart is not None:
            policy: dict = {}
            if restart.get("Condition"):
                policy["condition"] = restart["Condition"]
            if restart.get("Delay") is not None:
                policy["delay"] = go_duration(restart["Delay"])
            if restart.get("MaxAttempts") is not None:
                policy["max_attempts"] = int(restart["MaxAttempts"])
            if restart.get("Window") is not None:
                policy["window"] = go_duration(restart["Window"])
            out["restart_policy"] = policy
        placement = task.get("Placement") or {}
        where: dict = {}
        if placement.get("Constraints"):
            where["constraints"] = list(placement["Constraints"])
        spreads = [p["Spread"]["SpreadDescriptor"] for p in placement.get("Preferences") or [] if p.get("Spread")]
        if spreads:
            where["preferences"] = [{"spread": s} for s in spreads]
        if placement.get("MaxReplicas"):
            where["max_replicas_per_node"] = int(placement["MaxReplicas"])
        if where:
            out["placement"] = where
        if endpoint.get("Mode"):
            out["endpoint_mode"] = endpoint["Mode"]
        return out

    def document(self) -> dict:
        services = {}
        for key, spec in sorted((self.specs.get("services") or {}).items()):
            services[key] = self.service(key, spec)
        # objects no service uses are part of the stack too (secrets and configs are created all the same)
        for kind in ("secret", "config"):
            for name, body in sorted((self.specs.get(f"{kind}s") or {}).items()):
                self.file_object(kind, body.get("Name") or name)
        for name in sorted(self.known_volumes):
            self.volume(name, None)
        for name in self.specs.get("external_secrets") or []:
            self.file_object("secret", name)
        for name in self.specs.get("external_configs") or []:
            self.file_object("config", name)
        document: dict = {"version": COMPOSE_VERSION, "services": services}
        for section, store in (
            ("networks", self.networks),
            ("volumes", self.volumes),
            ("secrets", self.secrets),
            ("configs", self.configs),
        ):
            if section == "networks":
                store = {k: v for k, v in store.items() if not (k == "default" and v == {})}
            if store:
                document[section] = {k: (v or None) for k, v in sorted(store.items())}
        return _escape(document)


def compose_document(specs: dict, namespace: str) -> dict:
    """The Compose file as data (what compose_from_specs writes)."""
    if not isinstance(specs, dict) or not isinstance(specs.get("services"), dict):
        raise ExportError("the specs hold no mapping of services", field="services")
    return _ComposeWriter(specs, namespace).document()


def _dump(document: dict) -> str:
    return yaml.dump(
        document, Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True, width=1000
    )


def compose_from_specs(specs: dict, namespace: str, *, header: str | None = None) -> str:
    """A Compose file that `load_stack(text, namespace=namespace, files=...)` reads back into `specs`.

    The file names each secret and config file it needs (`object_files`). What Compose cannot express is listed
    in a comment at the top (a deploy of the file would change those fields)."""
    body = _dump(compose_document(specs, namespace))
    lost = compose_losses(specs, namespace, body)
    lines = []
    if header:
        lines.extend(f"# {line}".rstrip() for line in header.splitlines())
    files = sorted(set(object_files(specs, namespace).values()))
    if files:
        lines.append("# Upload these files with this Compose file (their contents are never exported):")
        lines.extend(f"#   ./{path}" for path in files)
    if lost:
        lines.append("# Compose cannot express these fields of the specs; a deploy of this file would change them:")
        lines.extend(f"#   {line}" for line in lost)
    return ("\n".join(lines) + "\n" if lines else "") + body


def _reference_specs(specs: dict, namespace: str) -> dict:
    """{section: {name: normalized}} of services, networks, secrets and configs, for comparisons."""
    out: dict = {"services": {}, "networks": {}, "secrets": {}, "configs": {}}
    for key, spec in (specs.get("services") or {}).items():
        out["services"][key] = normalize(spec, namespace=namespace)
    for name, body in (specs.get("networks") or {}).items():
        out["networks"][body.get("Name") or name] = normalize_network(
            body, namespace=namespace, keep_subnets="IPAM" in body
        )
    for section in ("secrets", "configs"):
        for name, body in (specs.get(section) or {}).items():
            data_less = {k: v for k, v in body.items() if k != "Data"}
            out[section][body.get("Name") or name] = normalize_file_object(data_less, namespace=namespace)
    for section in ("external_networks", "external_secrets", "external_configs"):
        out[section] = sorted(specs.get(section) or [])
    return out


def spec_differences(before: dict, after: dict, namespace: str) -> list[str]:
    """Per object, per field: how the stack `after` differs from `before` (both stored specs)."""
    left, right = _reference_specs(before, namespace), _reference_specs(after, namespace)
    lines = []
    for section in ("services", "networks", "secrets", "configs"):
        for name in sorted(set(left[section]) | set(right[section])):
            if name not in right[section]:
                lines.append(f"{section}.{name}: left out")
            elif name not in left[section]:
                lines.append(f"{section}.{name}: added")
            else:
                lines.extend(f"{section}.{name}: {c}" for c in spec_changes(left[section][name], right[section][name]))
    for section in ("external_networks", "external_secrets", "external_configs"):
        if left[section] != right[section]:
            lines.append(f"{section}: {left[section]} -> {right[section]}")
    return lines


def plan_specs(plan) -> dict:
    """The stored form of a StackPlan (as apps.projects stores it; secret and config Data left out)."""
    return {
        "namespace": plan.namespace,
        "services": copy.deepcopy(plan.services),
        "networks": copy.deepcopy(plan.networks),
        "secrets": {n: {k: v for k, v in b.items() if k != "Data"} for n, b in plan.secrets.items()},
        "configs": {n: {k: v for k, v in b.items() if k != "Data"} for n, b in plan.configs.items()},
        "volumes": copy.deepcopy(plan.volumes),
        "external_networks": list(plan.external_networks),
        "external_secrets": list(plan.external_secrets),
        "external_configs": list(plan.external_configs),
    }


def compose_losses(specs: dict, namespace: str, text: str | None = None) -> list[str]:
    """What the exported Compose file cannot carry: it is read back and compared with `specs`."""
    text = text if text is not None else _dump(compose_document(specs, namespace))
    files = {path: b"" for path in object_files(specs, namespace).values()}
    try:
        plan = load_stack(text, namespace=namespace, files=files)
    except ComposeError as exc:
        raise ExportError(f"the exported Compose file could not be read back: {exc}") from exc
    return spec_differences(specs, plan_specs(plan), namespace)


# ------------------------------------------------------------------------------------------------ bundles
_BUNDLE_SERVICE_KEYS = ("Image", "Command", "Args", "Env", "Labels", "Ports", "WorkingDir", "User", "Networks")
_PROTOCOLS = ("tcp", "udp", "sctp")


def _fold(mapping: dict, known: tuple[str, ...], where: str) -> dict:
    """Keys matched without regard to case (Go's encoding/json); unknown and repeated keys are refused."""
    out: dict = {}
    lookup = {k.lower(): k for k in known}
    for key, value in mapping.items():
        name = lookup.get(str(key).lower())
        field = f"{where}.{key}" if where else str(key)
        if name is None:
            raise BundleError(f"unknown key (a bundle service has {', '.join(known)})", field=field)
        if name in out:
            raise BundleError(f"{name} is given twice", field=field)
        out[name] = value
    return out


def _strings(value, field: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BundleError("must be a list of strings", field=field)
    return list(value)


def parse_bundle(text) -> dict:
    """A .dab file read and checked: {"Version": "0.1", "Services": {name: {...}}} with canonical key names."""
    if isinstance(text, bytes):
        if len(text) > MAX_BUNDLE_BYTES:
            raise BundleError(f"the bundle is {len(text)} bytes, over the limit of 1 MB", field="bundle")
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise BundleError("the bundle is not UTF-8 text", field="bundle") from None
    if isinstance(text, dict):
        data = text
    else:
        if not isinstance(text, str) or not text.strip():
            raise BundleError("the bundle is empty", field="bundle")
        if len(text.encode("utf-8", errors="surrogatepass")) > MAX_BUNDLE_BYTES:
            raise BundleError("the bundle is over the limit of 1 MB", field="bundle")
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise BundleError(f"not valid JSON: {exc.msg} at column {exc.colno}", field="bundle", line=exc.lineno)
        except RecursionError:
            raise BundleError("the bundle is nested too deeply", field="bundle") from None
    if not isinstance(data, dict):
        raise BundleError('a bundle is a JSON object {"Version": "0.1", "Services": {...}}', field="bundle")
    top = _fold(data, ("Version", "Services"), "")
    version = top.get("Version")
    if version != BUNDLE_VERSION:
        raise BundleError(f'must be "{BUNDLE_VERSION}" (Docker 1.12 bundles), not {version!r}', field="Version")
    services = top.get("Services")
    if not isinstance(services, dict) or not services:
        raise BundleError("must be a non-empty object of services", field="Services")
    checked: dict = {}
    for name, raw in services.items():
        where = f"Services.{name}"
        if not isinstance(name, str) or not _SWARM_NAME.match(name):
            raise BundleError("a service name holds letters, digits, '-' and '_' only", field=where)
        if not isinstance(raw, dict):
            raise BundleError("must be an object", field=where)
        service = _fold(raw, _BUNDLE_SERVICE_KEYS, where)
        image = service.get("Image")
        if not isinstance(image, str) or not image:
            raise BundleError("every service needs an image", field=f"{where}.Image")
        try:
            check_image(image)
        except ReferenceError_ as exc:
            raise BundleError(f"invalid image reference: {exc}", field=f"{where}.Image") from None
        out: dict = {"Image": image}
        for key in ("Command", "Args", "Env", "Networks"):
            values = _strings(service.get(key), f"{where}.{key}")
            if values:
                out[key] = values
        for index, entry in enumerate(out.get("Env", [])):
            if not entry or entry.startswith("="):
                raise BundleError("an environment entry is KEY=value", field=f"{where}.Env[{index}]")
        for index, network in enumerate(out.get("Networks", [])):
            if not _SWARM_NAME.match(network):
                raise BundleError(
                    "a network name holds letters, digits, '-' and '_' only", field=f"{where}.Networks[{index}]"
                )
        labels = service.get("Labels")
        if labels is not None:
            if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
                raise BundleError("must be an object of strings", field=f"{where}.Labels")
            if labels:
                out["Labels"] = dict(labels)
        ports = service.get("Ports")
        if ports is not None:
            if not isinstance(ports, list):
                raise BundleError("must be a list of {Protocol, Port}", field=f"{where}.Ports")
            parsed = []
            for index, port in enumerate(ports):
                at = f"{where}.Ports[{index}]"
                if not isinstance(port, dict):
                    raise BundleError("must be an object {Protocol, Port}", field=at)
                port = _fold(port, ("Protocol", "Port"), at)
                number = port.get("Port")
                if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= 65535:
                    raise BundleError("must be a port number from 1 to 65535", field=f"{at}.Port")
                protocol = port.get("Protocol") or "tcp"
                if protocol not in _PROTOCOLS:
                    raise BundleError(f"must be one of {', '.join(_PROTOCOLS)}", field=f"{at}.Protocol")
                parsed.append({"Protocol": protocol, "Port": number})
            if parsed:
                out["Ports"] = parsed
        for key in ("WorkingDir", "User"):
            value = service.get(key)
            if value is not None and not isinstance(value, str):
                raise BundleError("must be a string", field=f"{where}.{key}")
            if value:
                out[key] = value
        checked[name] = out
    return {"Version": BUNDLE_VERSION, "Services": checked}


def empty_specs(namespace: str) -> dict:
    """A stack with nothing in it, in the stored form (what a conversion fills in)."""
    return {
        "namespace": namespace,
        "services": {},
        "networks": {},
        "secrets": {},
        "configs": {},
        "volumes": {},
        "external_networks": [],
        "external_secrets": [],
        "external_configs": [],
    }


def specs_from_bundle(bundle, namespace: str) -> dict:
    """The stack a bundle describes, as Docker 1.12's `docker deploy` created it, in the stored form.

    Each service becomes NAMESPACE_name with the bundle's labels as service labels, Image/Command/Args/Env/
    WorkingDir/User in the container, its ports published on auto-assigned ports, and an alias of its name on
    each of its networks NAMESPACE_net (overlay). Today's stack labels (namespace on services, containers and
    networks; the image as written) are added, so a deploy and a later `docker stack deploy` agree."""
    bundle = parse_bundle(bundle)
    specs = empty_specs(namespace)
    for key, service in sorted(bundle["Services"].items()):
        full = f"{namespace}_{key}"
        if len(full) > 63:
            raise BundleError(f"the service name {full} is longer than 63 characters", field=f"Services.{key}")
        image = service["Image"]
        container: dict = {"Image": normalize_image(image), "Labels": {NAMESPACE_LABEL: namespace}}
        if service.get("Command"):
            container["Command"] = list(service["Command"])
        if service.get("Args"):
            container["Args"] = list(service["Args"])
        if service.get("Env"):
            container["Env"] = sorted(service["Env"])
        if service.get("WorkingDir"):
            container["Dir"] = service["WorkingDir"]
        if service.get("User"):
            container["User"] = service["User"]
        container["Privileges"] = {}
        networks = []
        for network in sorted(set(service.get("Networks") or [])):
            target = f"{namespace}_{network}"
            networks.append({"Target": target, "Aliases": [key]})
            specs["networks"][target] = {
                "Name": target,
                "Driver": "overlay",
                "Internal": False,
                "Attachable": False,
                "Labels": {NAMESPACE_LABEL: namespace},
            }
        labels = dict(service.get("Labels") or {})
        labels[NAMESPACE_LABEL] = namespace
        labels[IMAGE_LABEL] = image
        endpoint: dict = {}
        if service.get("Ports"):
            endpoint["Ports"] = [{"Protocol": p["Protocol"], "TargetPort": p["Port"]} for p in service["Ports"]]
        specs["services"][key] = {
            "Name": full,
            "Labels": labels,
            "TaskTemplate": {
                "ContainerSpec": container,
                "Resources": {},
                "Placement": {},
                "Networks": networks,
                "ForceUpdate": 0,
            },
            "Mode": {"Replicated": {}},
            "EndpointSpec": endpoint,
        }
    return specs


def bundle_from_specs(specs: dict, namespace: str) -> dict:
    """The stack as a Docker 1.12 bundle: what the format can hold of each service (see bundle_losses)."""
    if not isinstance(specs, dict) or not isinstance(specs.get("services"), dict):
        raise ExportError("the specs hold no mapping of services", field="services")
    services: dict = {}
    prefix = _prefix(namespace)
    for key, spec in sorted(specs["services"].items()):
        task = spec.get("TaskTemplate") or {}
        container = task.get("ContainerSpec") or {}
        out: dict = {"Image": image_as_written(spec)}
        for source in ("Command", "Args", "Env"):
            if container.get(source):
                out[source] = list(container[source])
        labels = _without(spec.get("Labels"), NAMESPACE_LABEL, IMAGE_LABEL)
        if labels:
            out["Labels"] = labels
        ports = [
            {"Protocol": p.get("Protocol") or "tcp", "Port": int(p.get("TargetPort") or 0)}
            for p in (spec.get("EndpointSpec") or {}).get("Ports") or []
            if p.get("TargetPort")
        ]
        if ports:
            out["Ports"] = ports
        if container.get("Dir"):
            out["WorkingDir"] = container["Dir"]
        if container.get("User"):
            out["User"] = container["User"]
        networks = []
        for attachment in task.get("Networks") or spec.get("Networks") or []:
            target = attachment.get("Target", "")
            short = target[len(prefix) :] if target.startswith(prefix) else target
            if short not in networks:
                networks.append(short)
        if networks:
            out["Networks"] = networks
        services[key] = out
    return {"Version": BUNDLE_VERSION, "Services": services}


def bundle_losses(specs: dict, namespace: str) -> list[str]:
    """What a bundle of `specs` cannot carry (placement, resources, mounts, secrets...), field by field."""
    return spec_differences(specs, specs_from_bundle(bundle_from_specs(specs, namespace), namespace), namespace)


def bundle_text(bundle: dict) -> str:
    return json.dumps(bundle, indent=2, sort_keys=False) + "\n"
