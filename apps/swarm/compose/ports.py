"""Short-syntax ports ("[ip:][published[-end]:]target[-end][/proto]") exactly as the CLI expands them.

go-connections nat.ParsePortSpec plus the CLI's ConvertPortToPortConfig: ranges expand one entry per
port; a published range with a single target gives one entry per published port; the host IP is
ignored with a warning; a target alone gets published port 0 (the swarm picks one from 30000 up).
"""

from __future__ import annotations

import ipaddress

_PROTOCOLS = ("tcp", "udp", "sctp")


class PortError(ValueError):
    pass


def _parse_ip(text: str):
    if "%" in text:
        return None
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _split_parts(raw: str) -> tuple[str, str, str]:
    parts = raw.split(":")
    count = len(parts)
    if count == 1:
        return "", "", parts[0]
    if count == 2:
        return "", parts[0], parts[1]
    if count == 3:
        return parts[0], parts[1], parts[2]
    return ":".join(parts[: count - 2]), parts[count - 2], parts[count - 1]


def _split_proto(raw: str) -> tuple[str, str]:
    parts = raw.split("/")
    if not raw or not parts[0]:
        return "", ""
    if len(parts) == 1:
        return "tcp", raw
    if not parts[1]:
        return "tcp", parts[0]
    return parts[1], parts[0]


def _uint16(text: str) -> int:
    if not text or not text.isdigit() or not text.isascii():
        raise ValueError(text)
    value = int(text)
    if value > 65535:
        raise ValueError(text)
    return value


def parse_port_range(text: str) -> tuple[int, int]:
    if not text:
        raise ValueError("empty port range")
    if "-" not in text:
        start = _uint16(text)
        return start, start
    parts = text.split("-")
    start, end = _uint16(parts[0]), _uint16(parts[1])
    if end < start:
        raise ValueError(f"invalid range specified: {text}")
    return start, end


def parse_port_spec(raw: str) -> list[tuple[str, str, str, str]]:
    """nat.ParsePortSpec: a list of (container port, protocol, host ip, host port or range)."""
    ip, host_port, container_port = _split_parts(raw)
    proto, container_port = _split_proto(container_port)
    if ip.startswith("["):
        if not ip.endswith("]"):
            raise PortError(f'invalid IP address "{ip}" in port "{raw}"')
        ip = ip[1:-1]
    if ip and _parse_ip(ip) is None:
        raise PortError(f'invalid IP address "{ip}" in port "{raw}"')
    if not container_port:
        raise PortError(f'no port specified in "{raw}"')
    try:
        start, end = parse_port_range(container_port)
    except ValueError:
        raise PortError(f'invalid container port "{container_port}" in "{raw}"') from None
    host_start = host_end = 0
    if host_port:
        try:
            host_start, host_end = parse_port_range(host_port)
        except ValueError:
            raise PortError(f'invalid published port "{host_port}" in "{raw}"') from None
    if host_port and (end - start) != (host_end - host_start) and end != start:
        raise PortError(f'the ranges of published and container ports differ in "{raw}"')
    if proto.lower() not in _PROTOCOLS:
        raise PortError(f'invalid protocol "{proto}" in "{raw}" (tcp, udp or sctp)')
    mappings = []
    for offset in range(end - start + 1):
        target = str(start + offset)
        published = str(host_start + offset) if host_port else host_port
        if start == end and host_start != host_end:
            published = f"{published}-{host_end}"
        mappings.append((target, proto.lower(), ip, published))
    return mappings


def _join_host_port(host: str, port: str) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def short_port_configs(raw: str, warnings: list[str]) -> list[dict]:
    """The PortConfigs of one short-syntax entry, in the CLI's order (sorted by "port/proto" text)."""
    bindings: dict[str, list[tuple[str, str]]] = {}
    for target, proto, ip, published in parse_port_spec(raw):
        bindings.setdefault(f"{target}/{proto}", []).append((ip, published))
    configs = []
    for key in sorted(bindings):
        target, proto = key.split("/")
        for ip, published in bindings[key]:
            address = _parse_ip(ip) if ip else None
            if address is not None and not address.is_unspecified:
                warnings.append(
                    f"ignoring IP-address ({_join_host_port(ip, published)}:{key}) service will listen on '0.0.0.0'"
                )
            if published:
                try:
                    first, last = parse_port_range(published)
                except ValueError:
                    raise PortError(f'invalid published port "{published}" for port {target}') from None
            else:
                first = last = 0
            for port in range(first, last + 1):
                configs.append(
                    {"Protocol": proto, "TargetPort": int(target), "PublishedPort": port, "PublishMode": "ingress"}
                )
    return configs
