"""What a stack leaves on the swarm, in a form two deploys under different stack names can be compared in, and the
real `docker stack deploy` / `docker stack rm` to make the oracle's side.

- `snapshot(swarm, namespace)`: the stack's services, networks, secrets and configs (found by the namespace
  label: 5 list calls in all), each normalized by apps.swarm.specs with the stack name mapped to "{stack}", plus
  the services' ids and versions;
- `differences(a, b)`: readable per-field differences ("services.web: TaskTemplate.ContainerSpec.Env: ... -> ...");
- `cli(...)`: the docker CLI (/usr/local/bin/docker, or $DAVIT_DOCKER_CLI) with ONLY the given environment, so
  Compose interpolation sees exactly the case's variables.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from apps.swarm.errors import SwarmError
from apps.swarm.specs import normalize, normalize_file_object, normalize_network, spec_changes

NAMESPACE_LABEL = "com.docker.stack.namespace"
DOCKER = os.environ.get("DAVIT_DOCKER_CLI", "/usr/local/bin/docker")


@dataclass
class Snapshot:
    namespace: str
    services: dict[str, dict] = field(default_factory=dict)  # short name -> normalized spec
    networks: dict[str, dict] = field(default_factory=dict)  # normalized name -> normalized network
    secrets: dict[str, dict] = field(default_factory=dict)
    configs: dict[str, dict] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)  # short name -> service id
    versions: dict[str, int] = field(default_factory=dict)  # short name -> Version.Index
    object_ids: dict[str, str] = field(default_factory=dict)  # "network:NAME" ... -> id

    def sections(self) -> dict[str, dict]:
        return {"services": self.services, "networks": self.networks, "secrets": self.secrets, "configs": self.configs}


def _short(namespace: str, name: str) -> str:
    prefix = f"{namespace}_"
    return name[len(prefix) :] if name.startswith(prefix) else name


def allocated_networks(swarm, namespace: str, timeout: float = 60.0) -> list[dict]:
    """Every network, once the swarm's allocator has handled those of the stack: a swarm network just created
    (by the CLI or by Davit) is listed with an empty driver, options and IPAM for a moment (longer on a loaded
    machine), which would compare as a difference."""
    deadline = time.monotonic() + timeout
    while True:
        networks = swarm.network_list()
        pending = [
            n["Name"]
            for n in networks
            if (n.get("Labels") or {}).get(NAMESPACE_LABEL) == namespace and not n.get("Driver")
        ]
        if not pending:
            return networks
        if time.monotonic() > deadline:
            raise AssertionError(f"the swarm did not allocate the networks {pending} within {timeout}s")
        time.sleep(0.2)


def snapshot(swarm, namespace: str, *, keep_subnets: set[str] | frozenset = frozenset()) -> Snapshot:
    """The stack as the swarm holds it. `keep_subnets`: names (after mapping, e.g. "{stack}_back") of networks
    whose subnet the Compose file chose (others get one from the engine, which differs between two deploys)."""
    label = {NAMESPACE_LABEL: namespace}
    all_networks = allocated_networks(swarm, namespace)
    network_names = {n["Id"]: n["Name"] for n in all_networks}
    secrets = swarm.secret_list(labels=label)
    configs = swarm.config_list(labels=label)
    # references may point at objects of other stacks or external ones: name them all (ids never compared)
    secret_names = {s["ID"]: s["Spec"]["Name"] for s in swarm.secret_list()}
    config_names = {c["ID"]: c["Spec"]["Name"] for c in swarm.config_list()}
    snap = Snapshot(namespace)
    for service in swarm.service_list(labels=label):
        short = _short(namespace, service["Spec"]["Name"])
        snap.services[short] = normalize(
            service["Spec"], networks=network_names, secrets=secret_names, configs=config_names, namespace=namespace
        )
        snap.ids[short] = service["ID"]
        snap.versions[short] = service["Version"]["Index"]
    for network in all_networks:
        if (network.get("Labels") or {}).get(NAMESPACE_LABEL) != namespace:
            continue
        body = normalize_network(network, namespace=namespace)
        if body["Name"] in keep_subnets:
            body = normalize_network(network, namespace=namespace, keep_subnets=True)
        snap.networks[body["Name"]] = body
        snap.object_ids[f"network:{body['Name']}"] = network["Id"]
    for kind, objects, target in (("secret", secrets, snap.secrets), ("config", configs, snap.configs)):
        for obj in objects:
            body = normalize_file_object(obj, namespace=namespace)
            target[body["Name"]] = body
            snap.object_ids[f"{kind}:{body['Name']}"] = obj["ID"]
    return snap


def differences(expected: Snapshot, actual: Snapshot) -> list[str]:
    """Per object, per field: what `actual` has that `expected` does not ("a -> b" reads expected -> actual)."""
    lines: list[str] = []
    for section, left in expected.sections().items():
        right = actual.sections()[section]
        for name in sorted(set(left) | set(right)):
            if name not in right:
                lines.append(f"{section}.{name}: missing")
            elif name not in left:
                lines.append(f"{section}.{name}: unexpected (not made by the other side)")
            else:
                lines.extend(f"{section}.{name}: {change}" for change in spec_changes(left[name], right[name]))
    return lines


def read_env(folder: Path) -> dict[str, str]:
    """The case's `env` file: KEY=VALUE lines taken literally (blank and '#' lines skipped)."""
    values: dict[str, str] = {}
    path = folder / "env"
    if path.is_file():
        for line in path.read_text().splitlines():
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            key, sep, value = line.partition("=")
            assert sep, f"{path}: line {line!r} is not KEY=VALUE"
            values[key.strip()] = value
    return values


def read_lines(path: Path) -> list[str]:
    if not path.is_file():
        return []
    return [line.strip() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]


CASE_META = ("stack.yml", "env", "external-networks")
ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CASE_DIRS = [ROOT.parent / "shared" / "conformance", ROOT / "tests" / "conformance" / "cases"]


def conformance_dirs() -> list[Path]:
    """DAVIT_CONFORMANCE_DIRS (colon-separated; relative paths from the repository), by default
    ../shared/conformance and tests/conformance/cases."""
    value = os.environ.get("DAVIT_CONFORMANCE_DIRS", "")
    if not value.strip():
        return list(DEFAULT_CASE_DIRS)
    return [Path(p) if Path(p).is_absolute() else ROOT / p for p in value.split(":") if p.strip()]


def case_folders() -> list[tuple[str, Path]]:
    """(id, folder) of every case: the folder's name, with its directory's name in front when two directories
    have a case of that name. A directory that does not exist gives ("missing-dir-NAME", path): the test of it
    fails, it is never silently skipped."""
    found: list[tuple[str, Path]] = []
    for root in conformance_dirs():
        if not root.is_dir():
            found.append((f"missing-dir-{root.name}", root))
            continue
        found.extend((p.name, p) for p in sorted(root.iterdir()) if p.is_dir() and not p.name.startswith("."))
    names = [name for name, _ in found]
    return [(name if names.count(name) == 1 else f"{path.parent.name}/{name}", path) for name, path in found]


def read_files(folder: Path) -> dict[str, str]:
    """Every other file of the case (env_file, secret and config files), as text keyed by relative path."""
    return {
        str(path.relative_to(folder)): path.read_text()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and str(path.relative_to(folder)) not in CASE_META
    }


def cli(args: list[str], *, docker_host: str, env: dict[str, str] | None = None, cwd: Path | None = None):
    """Run the docker CLI with only DOCKER_HOST, a private DOCKER_CONFIG and `env`; returns the CompletedProcess."""
    assert Path(DOCKER).is_file(), f"the docker CLI is needed at {DOCKER} (set DAVIT_DOCKER_CLI)"
    with tempfile.TemporaryDirectory(prefix="davit-cli-") as config_dir:
        full = {"DOCKER_HOST": docker_host, "DOCKER_CONFIG": config_dir, **(env or {})}
        return subprocess.run(
            [DOCKER, *args], cwd=cwd, env=full, capture_output=True, text=True, timeout=120, check=False
        )


def stack_deploy(folder: Path, namespace: str, *, docker_host: str, env: dict[str, str], compose: str = "stack.yml"):
    """`docker stack deploy --resolve-image never -c stack.yml NAMESPACE`, run in the case's folder."""
    result = cli(
        ["stack", "deploy", "--resolve-image", "never", "-c", compose, namespace],
        docker_host=docker_host,
        env=env,
        cwd=folder,
    )
    assert result.returncode == 0, f"docker stack deploy failed:\n{result.stdout}\n{result.stderr}"
    return result


def stack_objects(swarm, namespace: str) -> list[tuple[str, str, str]]:
    """(kind, id, name) of every service, secret, config and network labelled with the stack (4 list calls)."""
    label = {NAMESPACE_LABEL: namespace}
    return (
        [("service", s["ID"], s["Spec"]["Name"]) for s in swarm.service_list(labels=label)]
        + [("secret", s["ID"], s["Spec"]["Name"]) for s in swarm.secret_list(labels=label)]
        + [("config", c["ID"], c["Spec"]["Name"]) for c in swarm.config_list(labels=label)]
        + [("network", n["Id"], n["Name"]) for n in swarm.network_list(labels=label)]
    )


def wait_stack_gone(swarm, namespace: str, timeout: float = 90.0, keep=None) -> None:
    """Until no object of the stack is left (or, with `keep(kind, name)`, none for which it is false): overlay
    networks go asynchronously, once the tasks using them have stopped."""
    deadline = time.monotonic() + timeout
    while True:
        left = [
            (kind, name) for kind, _, name in stack_objects(swarm, namespace) if keep is None or not keep(kind, name)
        ]
        if not left:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"stack {namespace} still has {left} after {timeout}s")
        time.sleep(0.3)


def purge_stack(swarm, namespace: str, timeout: float = 90.0) -> None:
    """Remove whatever of the stack is left, retrying while tasks let go of networks, secrets and configs."""
    removers = {
        "service": swarm.service_remove,
        "secret": swarm.secret_remove,
        "config": swarm.config_remove,
        "network": swarm.network_remove,
    }
    deadline = time.monotonic() + timeout
    phantoms: set[str] = set()
    while True:
        left = [item for item in stack_objects(swarm, namespace) if item[1] not in phantoms]
        if not left:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"stack {namespace} still has {[name for _, _, name in left]} after {timeout}s")
        for kind, ident, _name in left:
            try:
                removers[kind](ident)
            except SwarmError as exc:  # in use, or already going: the next round sees
                if kind == "network" and "not found" in str(exc):
                    # Engine 20.10 keeps listing an overlay network the swarm already deleted while a finished
                    # job's load-balancer endpoint lingers on the node; the swarm itself has no such network.
                    phantoms.add(ident)
        time.sleep(0.5)


def stable_versions(swarm, namespace: str, timeout: float = 20.0) -> dict[str, int]:
    """The services' versions once they stop moving (the allocator updates a new service shortly after create)."""
    label = {NAMESPACE_LABEL: namespace}

    def read():
        return {_short(namespace, s["Spec"]["Name"]): s["Version"]["Index"] for s in swarm.service_list(labels=label)}

    deadline = time.monotonic() + timeout
    previous = read()
    while True:
        time.sleep(0.5)
        current = read()
        if current == previous or time.monotonic() > deadline:
            return current
        previous = current
