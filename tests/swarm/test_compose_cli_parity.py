"""Parity with the real CLI's loader: `docker stack config -c FILE` (needs only the docker CLI binary, no daemon).

Each case folder (../shared/conformance and tests/conformance/cases) and a set of tricky snippets are read by
the CLI and by `load_stack`; the merged, interpolated results must agree field by field (YAML types,
interpolation, env files, ports, volumes, durations, sizes, externals and names).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import pytest

from apps.swarm.compose import ComposeError, load_stack
from apps.swarm.compose.units import parse_duration
from apps.swarm.compose.yamlsrc import parse

ROOT = Path(__file__).resolve().parents[2]
DOCKER = os.environ.get("DAVIT_DOCKER_CLI", "/usr/local/bin/docker")
DURATION_KEYS = {"delay", "monitor", "window", "interval", "timeout", "start_period", "start_interval"}
KEEP_ZERO = {"replicas", "parallelism", "max_attempts", "retries"}
SERVICE_KEYS = [
    *("image", "command", "entrypoint", "environment", "labels", "deploy", "ports", "volumes", "networks"),
    *("secrets", "configs", "healthcheck", "stop_grace_period", "stop_signal", "hostname", "user", "working_dir"),
    *("tty", "stdin_open", "read_only", "init", "isolation", "dns", "dns_search", "extra_hosts", "sysctls"),
    *("ulimits", "cap_add", "cap_drop", "logging", "credential_spec", "restart"),
]


def case_dirs() -> list[Path]:
    roots = [ROOT.parent / "shared" / "conformance", ROOT / "tests" / "conformance" / "cases"]
    extra = os.environ.get("DAVIT_CONFORMANCE_DIRS")
    if extra:
        roots = [Path(p) if Path(p).is_absolute() else ROOT / p for p in extra.split(":") if p]
    found = []
    for root in roots:
        if root.is_dir():
            found.extend(sorted(p for p in root.iterdir() if (p / "stack.yml").is_file()))
    return found


def read_env(folder: Path) -> dict[str, str]:
    env_file = folder / "env"
    values = {}
    if env_file.is_file():
        for line in env_file.read_text().splitlines():
            if "=" in line and not line.lstrip().startswith("#"):
                key, _, value = line.partition("=")
                values[key] = value
    return values


def read_files(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in folder.rglob("*")
        if p.is_file() and p.name not in ("stack.yml", "env", "external-networks")
    }


def stack_config(folder: Path, variables: dict[str, str]) -> dict:
    """The CLI's view: `docker stack config` run in the folder with exactly these variables."""
    assert Path(DOCKER).is_file(), f"the docker CLI is needed at {DOCKER} (set DAVIT_DOCKER_CLI)"
    with tempfile.TemporaryDirectory() as config_dir:
        env = {"PATH": "/usr/bin:/bin", "DOCKER_HOST": "unix:///nonexistent.sock", "DOCKER_CONFIG": config_dir}
        env.update(variables)
        result = subprocess.run(
            [DOCKER, "stack", "config", "-c", "stack.yml"],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    if result.returncode != 0:
        raise RuntimeError(result.stderr.strip())
    return parse(result.stdout).data


USER_MAPS = {"environment", "labels", "sysctls", "options", "driver_opts"}


def prune(value, key=None):
    if isinstance(value, dict) and key in USER_MAPS:
        return dict(value)
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            v = prune(v, k)
            if v is None or v is False or v == "" or v == [] or (v == {} and k not in ("rollback_config",)):
                continue
            if v == 0 and not isinstance(v, bool) and k not in KEEP_ZERO:
                continue
            out[k] = v
        return out
    if isinstance(value, list):
        return [prune(v) for v in value]
    if key in DURATION_KEYS | {"stop_grace_period"} and isinstance(value, str):
        return parse_duration(value)
    if key == "memory" and isinstance(value, str):
        return int(value)
    return value


def cli_view(config: dict) -> dict:
    services = {}
    for name, service in (config.get("services") or {}).items():
        view = {k: service[k] for k in SERVICE_KEYS if k in service}
        if isinstance(view.get("networks"), dict):
            view["networks"] = {k: (prune(v) or None) for k, v in view["networks"].items()}
        services[name] = prune(view)
    top = {}
    for section in ("networks", "volumes", "secrets", "configs"):
        top[section] = {
            k: prune(
                {f: v for f, v in (o or {}).items() if f not in ("file", "x-cluster-spec") and not f.startswith("x-")}
            )
            for k, o in (config.get(section) or {}).items()
        }
    return {"services": services, **top}


def our_view(loaded: dict) -> dict:
    services = {}
    for name, service in loaded["services"].items():
        view = {k: service.get(k) for k in SERVICE_KEYS}
        deploy = dict(service["deploy"])
        resources = {}
        for kind, item in deploy["resources"].items():
            resources[kind] = {k: v for k, v in item.items() if k != "nano_cpus"}
        deploy["resources"] = resources
        view["deploy"] = deploy
        view["ulimits"] = {k: v.get("single", v) for k, v in service["ulimits"].items()}
        view["networks"] = {k: (prune(v) or None) for k, v in service["networks"].items()}
        services[name] = prune(view)
    top = {}
    for section in ("networks", "volumes", "secrets", "configs"):
        top[section] = {
            k: prune({f: v for f, v in o.items() if f not in ("file", "data")}) for k, o in loaded[section].items()
        }
    return {"services": services, **top}


def compare(folder: Path, variables: dict[str, str], files: dict[str, bytes]) -> None:
    cli = cli_view(stack_config(folder, variables))
    plan = load_stack(
        (folder / "stack.yml").read_text(),
        namespace="parity",
        files=files,
        variables=variables,
        working_dir=str(folder),
    )
    ours = our_view(plan.config)
    for section in ("services", "networks", "volumes", "secrets", "configs"):
        assert set(ours[section]) == set(cli[section]), section
        for name in cli[section]:
            assert ours[section][name] == cli[section][name], f"{section}.{name}"


@pytest.mark.parametrize("folder", case_dirs(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_case_folders_load_as_the_cli_loads_them(folder):
    compare(folder, read_env(folder), read_files(folder))


SNIPPETS = {
    "scalars": """
services:
  web:
    image: lab/busybox:1
    environment:
      A: yes
      B: 0644
      C: 0o17
      D: 1_000
      E: 08
      F: .5
      G: 1e3
      H: ~
      I: 0x1F
      J: 1000000.0
      K: 123456789.123
      L: 2001-12-14
      M: 2001-12-14T21:59:43.5+01:00
      N: "on"
      O: -0x1f
      P: 1.e3
    labels:
      n: 42
      f: 0.25
      e:
""",
    "interpolation": """
services:
  web:
    image: lab/busybox:${TAG:-1}
    command: "echo ${A} $A ${EMPTY:-soft} ${EMPTY-hard} ${UNSET-unset} $$HOME $${B} ${A?x} $A-rest"
    environment:
      - LIST=${A}
      - BARE_FROM_VARS
      - EMPTY
    deploy:
      replicas: ${N}
      update_config:
        parallelism: ${N}
        max_failure_ratio: ${RATIO}
    read_only: ${BOOL}
    ports:
      - target: ${PORT}
        published: ${PORT}
        mode: host
""",
    "ports": """
services:
  web:
    image: lab/busybox:1
    ports:
      - 3000
      - "3001-3003"
      - "8000:8000"
      - "9090-9091:8080-8081"
      - "127.0.0.1:8001:8001"
      - "[::1]:8002:8002/udp"
      - "5000-5001:5000/udp"
      - "0.0.0.0:7000:7000/sctp"
      - target: 80
        published: 8080
        protocol: udp
        mode: host
      - target: 81
""",
    "volumes": """
services:
  web:
    image: lab/busybox:1
    volumes:
      - /var/lib/mysql
      - /opt/data:/var/lib/mysql-data
      - ./static:/var/www/html
      - ../up:/up:rw
      - ~/configs:/etc/configs/:ro
      - datavolume:/var/lib/data:nocopy
      - /var/log:/logs:ro,rslave
      - type: bind
        source: ./opt
        target: /opt
        consistency: cached
      - type: tmpfs
        target: /run
        tmpfs:
          size: 10000
volumes:
  datavolume:
    driver: local
    driver_opts:
      type: nfs
      o: "addr=10.0.0.1,rw"
""",
    "externals": """
version: "3.5"
services:
  web:
    image: lab/busybox:1
    networks: [a, b, c]
    secrets: [s1, s2]
    configs: [c1]
    volumes: [v1:/v1, v2:/v2]
networks:
  a:
    external: true
  b:
    external:
      name: real-b
  c:
    name: named-c
    driver: overlay
    attachable: true
    internal: true
    labels: [x=1]
    ipam:
      driver: default
      config:
        - subnet: 10.240.0.0/24
secrets:
  s1:
    external: true
  s2:
    name: named-s2
    file: ./data
    labels: {k: v}
configs:
  c1:
    external:
      name: real-c1
volumes:
  v1:
    external: true
  v2:
    external:
      name: real-v2
""",
    "extra-hosts": """
services:
  listed:
    image: lab/busybox:1
    extra_hosts: ["a=1.2.3.4", "b:1.2.3.5", "c:[::1]", "d=::2", "noip", "x=", "a:b:c", "[::1]:y"]
  mapped:
    image: lab/busybox:1
    extra_hosts:
      zeta: 10.0.0.2
      alpha: "[::1]"
      num: 5
      none:
""",
    "everything-else": """
version: "3.13"
services:
  web:
    image: lab/busybox:1
    entrypoint: /bin/sh -c
    command: ["echo", "x"]
    healthcheck:
      test: curl -f http://localhost
      interval: 1m30s
      timeout: 10s
      retries: 3
      start_period: 40s
      start_interval: 5s
    stop_grace_period: 1h2m3.5s
    ulimits:
      nproc: 65535
      nofile: {soft: 20000, hard: 40000}
    sysctls: [net.core.somaxconn=1024, net.ipv4.tcp_syncookies]
    extra_hosts:
      somehost: 162.242.195.82
      otherhost: 50.31.209.229
    dns: 8.8.8.8
    dns_search: [a.example, b.example]
    cap_add: [ALL]
    cap_drop: [NET_ADMIN]
    logging:
      driver: syslog
      options:
        syslog-address: "tcp://192.168.0.42:123"
        n: 1
    credential_spec:
      file: spec.json
    restart: on-failure:3
    deploy:
      mode: replicated
      replicas: 0
      endpoint_mode: dnsrr
      labels: {a: 1}
      placement:
        constraints: [node.role==manager]
        preferences: [spread: node.labels.az]
        max_replicas_per_node: 2
      resources:
        limits: {cpus: '0.001', memory: 50M, pids: 100}
        reservations:
          cpus: '1/4'
          memory: 1.5g
          generic_resources:
            - discrete_resource_spec: {kind: gpu, value: 2}
      restart_policy: {condition: on-failure, delay: 5s, max_attempts: 3, window: 2m}
      rollback_config: {parallelism: 3, delay: 10s, failure_action: continue, monitor: 60s,
                        max_failure_ratio: 0.3, order: start-first}
""",
}
SNIPPET_VARIABLES = {"A": "1", "EMPTY": "", "N": "3", "RATIO": "0.5", "BOOL": "off", "PORT": "8080", "HOME": "/home/u"}
SNIPPET_VARIABLES["BARE_FROM_VARS"] = "bare"


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_snippets_load_as_the_cli_loads_them(name, tmp_path):
    (tmp_path / "stack.yml").write_text(SNIPPETS[name])
    (tmp_path / "data").write_text("secret data\n")
    compare(tmp_path, SNIPPET_VARIABLES, {"data": b"secret data\n"})


BAD = {
    "replicas-two": "services:\n  web:\n    image: x\n    deploy:\n      replicas: two\n",
    "unknown-key": "services:\n  web:\n    image: x\n    foo: 1\n",
    "bad-yaml": "services:\n  web:\n    image: [x\n",
    "missing-required": "services:\n  web:\n    image: ${IMAGE:?needed}\n",
    "bad-interpolation": "services:\n  web:\n    image: x\n    user: $1\n",
    "duplicate-key": "services:\n  web:\n    image: x\n    image: y\n",
    "bad-duration": "services:\n  web:\n    image: x\n    stop_grace_period: 1d\n",
    "bad-port": "services:\n  web:\n    image: x\n    ports: ['80:80:80:80']\n",
    "old-version": 'version: "3.0"\nservices:\n  web:\n    image: x\nconfigs:\n  c:\n    external: true\n',
    "forbidden": "services:\n  web:\n    image: x\n    cpu_shares: 2\n",
    "bad-cast": "services:\n  web:\n    image: x\n    tty: ${T}\n",
    "ext-volume-driver": "services:\n  web:\n    image: x\nvolumes:\n  v:\n    external: true\n    driver: x\n",
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_what_the_cli_refuses_is_refused(name, tmp_path):
    (tmp_path / "stack.yml").write_text(BAD[name])
    with pytest.raises(RuntimeError):
        stack_config(tmp_path, {"T": "maybe"})
    with pytest.raises(ComposeError) as caught:
        load_stack(BAD[name], namespace="parity", variables={"T": "maybe"})
    assert caught.value.line is not None or caught.value.field is not None
