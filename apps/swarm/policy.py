"""What a team's policy may refuse in a FINAL service spec (Engine API ServiceSpec JSON), whatever made it.

The check reads the spec that is about to be sent to the swarm, never one input form: a Compose file, a wizard,
a template, a bundle or an update of one service all end as the same JSON, so one checker covers them all
(Portainer's CVE-2026-44849/44850 came from checking one input path, e.g. HostConfig.Binds but not Mounts).

`refusals(specs, ...)` returns one `Refusal(service, key, reason)` per offending key; `category` says which
team setting would allow it: "bind_mounts", "capabilities", "host_network" or "privileged".
Pure: no Django, no Docker calls.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

BIND_MOUNTS = "bind_mounts"
CAPABILITIES = "capabilities"
HOST_NETWORK = "host_network"
PRIVILEGED = "privileged"
CATEGORIES = (BIND_MOUNTS, CAPABILITIES, HOST_NETWORK, PRIVILEGED)

# Networks that put a task straight onto the host's network stack or its physical link.
HOST_NETWORK_NAMES = frozenset({"host"})
HOST_LINK_DRIVERS = frozenset({"host", "macvlan", "ipvlan"})


class Refusal(NamedTuple):
    service: str
    key: str
    reason: str

    @property
    def category(self) -> str:
        """The team setting that would allow it (told by the key)."""
        return category_of(self.key)

    def __str__(self) -> str:
        return f"service {self.service}: {self.key}: {self.reason}"


def category_of(key: str) -> str:
    if ".Mounts[" in key:
        return BIND_MOUNTS
    if key.endswith("CapabilityAdd"):
        return CAPABILITIES
    if key.startswith(("TaskTemplate.Networks", "Networks[", "networks.")):
        return HOST_NETWORK
    return PRIVILEGED


def _refusal(category: str, service: str, key: str, reason: str) -> Refusal:
    """`category` documents the setting at the call; Refusal.category tells it again from the key."""
    return Refusal(service, key, reason)


def _is_bind_volume(options: dict) -> str:
    """A `local` volume whose driver options bind a host path (type=none, o=bind, device=/path): a bind in disguise."""
    driver = (options or {}).get("DriverConfig") or {}
    name = (driver.get("Name") or "local").lower()
    opts = {str(k).lower(): str(v) for k, v in (driver.get("Options") or {}).items()}
    if name != "local":
        return ""
    flags = {part.strip() for part in opts.get("o", "").split(",")}
    if "bind" in flags or "rbind" in flags or (opts.get("type") == "none" and opts.get("device", "").startswith("/")):
        return opts.get("device", "") or "a host path"
    return ""


def _mounts(service: str, container: dict, out: list[Refusal]) -> None:
    for index, mount in enumerate(container.get("Mounts") or []):
        kind = (mount.get("Type") or "volume").lower()
        key = f"TaskTemplate.ContainerSpec.Mounts[{index}]"
        target = mount.get("Target", "")
        if kind in {"bind", "npipe"}:
            out.append(
                _refusal(
                    BIND_MOUNTS,
                    service,
                    key,
                    f"bind mount of host path {mount.get('Source', '')!r} at {target!r} (Compose: volumes); "
                    "the team's policy does not allow bind mounts",
                )
            )
        elif kind == "volume":
            device = _is_bind_volume(mount.get("VolumeOptions") or {})
            if device:
                out.append(
                    _refusal(
                        BIND_MOUNTS,
                        service,
                        f"{key}.VolumeOptions.DriverConfig",
                        f"volume {mount.get('Source', '')!r} binds host path {device!r} through its driver options "
                        "(Compose: volumes.driver_opts); the team's policy does not allow bind mounts",
                    )
                )


def _capabilities(service: str, container: dict, out: list[Refusal]) -> None:
    added = [c for c in (container.get("CapabilityAdd") or []) if c]
    if added:
        out.append(
            _refusal(
                CAPABILITIES,
                service,
                "TaskTemplate.ContainerSpec.CapabilityAdd",
                f"adds capabilities {', '.join(sorted(added))} (Compose: cap_add); "
                "the team's policy does not allow added capabilities",
            )
        )


def _privileges(service: str, task: dict, container: dict, out: list[Refusal]) -> None:
    privileges = container.get("Privileges") or {}
    base = "TaskTemplate.ContainerSpec.Privileges"
    seccomp = privileges.get("Seccomp") or {}
    if str(seccomp.get("Mode", "")).lower() == "unconfined":
        out.append(_refusal(PRIVILEGED, service, f"{base}.Seccomp", "runs without a seccomp profile (unconfined)"))
    elif str(seccomp.get("Mode", "")).lower() == "custom":
        out.append(_refusal(PRIVILEGED, service, f"{base}.Seccomp", "replaces the default seccomp profile"))
    apparmor = privileges.get("AppArmor") or {}
    if str(apparmor.get("Mode", "")).lower() == "disabled":
        out.append(_refusal(PRIVILEGED, service, f"{base}.AppArmor", "runs without AppArmor confinement"))
    selinux = privileges.get("SELinuxContext") or {}
    if selinux.get("Disable"):
        out.append(_refusal(PRIVILEGED, service, f"{base}.SELinuxContext", "disables SELinux labelling"))
    if task.get("PluginSpec") or str(task.get("Runtime", "")).lower() == "plugin":
        out.append(
            _refusal(
                PRIVILEGED,
                service,
                "TaskTemplate.PluginSpec",
                "installs an engine plugin on the nodes (plugins get host privileges)",
            )
        )
    for name in container.get("Sysctls") or {}:
        if not str(name).startswith(("net.", "kernel.shm", "kernel.msg", "kernel.sem", "fs.mqueue.")):
            out.append(
                _refusal(
                    PRIVILEGED,
                    service,
                    f"TaskTemplate.ContainerSpec.Sysctls.{name}",
                    "sets a kernel parameter that is not namespaced to the container (Compose: sysctls)",
                )
            )
    for index, device in enumerate(container.get("Devices") or []):
        path = device.get("PathOnHost", "") if isinstance(device, dict) else device
        out.append(
            _refusal(
                PRIVILEGED,
                service,
                f"TaskTemplate.ContainerSpec.Devices[{index}]",
                f"gives the container the host device {path!r}",
            )
        )
    if container.get("Privileged"):
        out.append(_refusal(PRIVILEGED, service, "TaskTemplate.ContainerSpec.Privileged", "runs privileged"))


def _networks(service: str, spec: dict, host_ids: frozenset[str], host_named: frozenset[str], out) -> None:
    attachments = [("TaskTemplate.Networks", n) for n in (spec.get("TaskTemplate") or {}).get("Networks") or []]
    attachments += [("Networks", n) for n in spec.get("Networks") or []]  # deprecated top-level field
    counters: dict[str, int] = {}
    for base, attachment in attachments:
        index = counters.get(base, 0)
        counters[base] = index + 1
        target = str(attachment.get("Target", ""))
        if target in host_ids or target in host_named:
            out.append(
                _refusal(
                    HOST_NETWORK,
                    service,
                    f"{base}[{index}].Target",
                    f"attaches to the network {target!r}, which gives the host's network stack or link "
                    "(Compose: networks); the team's policy does not allow host networking",
                )
            )


def host_network_names(networks: Iterable[dict] | dict | None) -> frozenset[str]:
    """Names (and ids) among `networks` whose driver reaches the host's network: host, macvlan, ipvlan.

    Accepts network create bodies / inspect results (`{"Name", "Driver", "Id"?}`), or a mapping name -> body.
    """
    if not networks:
        return frozenset()
    items = networks.values() if isinstance(networks, dict) else networks
    names: set[str] = set()
    for network in items:
        if not isinstance(network, dict):
            continue
        if str(network.get("Driver", "")).lower() in HOST_LINK_DRIVERS:
            names.update(str(v) for v in (network.get("Name"), network.get("Id"), network.get("ID")) if v)
    return frozenset(names)


def network_refusals(networks: Iterable[dict] | dict | None) -> list[Refusal]:
    """The stack's own networks whose driver reaches the host (a macvlan made by the stack, say)."""
    out: list[Refusal] = []
    if not networks:
        return out
    items = networks.items() if isinstance(networks, dict) else ((n.get("Name", ""), n) for n in networks)
    for key, network in items:
        if not isinstance(network, dict):
            continue
        driver = str(network.get("Driver", "")).lower()
        if driver in HOST_LINK_DRIVERS:
            out.append(
                _refusal(
                    HOST_NETWORK,
                    "",
                    f"networks.{network.get('Name') or key}.Driver",
                    f"creates a {driver} network, which reaches the host's network or link; "
                    "the team's policy does not allow host networking",
                )
            )
    return out


def refusals(
    specs: Iterable[dict],
    *,
    allow: Iterable[str] = (),
    networks: Iterable[dict] | dict | None = None,
    host_network_ids: Iterable[str] = (),
) -> list[Refusal]:
    """Every key of the final specs that the policy forbids, unless its category is in `allow`.

    `networks`: the stack's network bodies (their drivers tell which names reach the host);
    `host_network_ids`: ids of the swarm's host-like networks, for specs that name networks by id.
    """
    allowed = set(allow)
    unknown = allowed - set(CATEGORIES)
    if unknown:
        raise ValueError(f"unknown policy categories: {', '.join(sorted(unknown))}")
    host_named = HOST_NETWORK_NAMES | host_network_names(networks)
    host_ids = frozenset(host_network_ids)
    out: list[Refusal] = []
    for spec in specs:
        service = str(spec.get("Name", ""))
        task = spec.get("TaskTemplate") or {}
        container = task.get("ContainerSpec") or {}
        _mounts(service, container, out)
        _capabilities(service, container, out)
        _privileges(service, task, container, out)
        _networks(service, spec, host_ids, host_named, out)
    out.extend(network_refusals(networks))
    return [item for item in out if item.category not in allowed]
