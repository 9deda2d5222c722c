"""Helpers for tests that deploy stacks on the lab: specs, waiting for operations, cleaning a namespace."""

from __future__ import annotations

import contextlib
import time

from apps.swarm.errors import ObjectNotFound, SwarmError

NAMESPACE_LABEL = "com.docker.stack.namespace"
SECOND = 1_000_000_000


def service_spec(
    name: str,
    *,
    namespace: str | None = None,
    image: str = "lab/busybox:1",
    args: tuple[str, ...] | list[str] = ("sleep", "3600"),
    replicas: int | None = 1,
    mode: str = "replicated",
    env: dict | None = None,
    networks: list[str] | tuple[str, ...] = (),
    secrets: list[str] | tuple[str, ...] = (),
    configs: list[str] | tuple[str, ...] = (),
    monitor: float = 1.0,
    delay: float = 0.0,
    parallelism: int = 1,
    failure_action: str = "pause",
    order: str = "stop-first",
    stop_grace: float = 1.0,
    restart_condition: str = "any",
    restart_delay: float = 0.5,
    max_attempts: int | None = None,
    labels: dict | None = None,
) -> dict:
    """An Engine API ServiceSpec as `apply` takes it (network/secret/config by NAME), with a short update
    monitor so tests converge quickly. `name` is the short name; the service is `<namespace>_<name>`."""
    full = f"{namespace}_{name}" if namespace else name
    container: dict = {"Image": image, "Args": list(args), "StopGracePeriod": int(stop_grace * SECOND)}
    if env:
        container["Env"] = [f"{k}={v}" for k, v in env.items()]
    if secrets:
        container["Secrets"] = [
            {"SecretName": s, "File": {"Name": s.split("_", 1)[-1], "UID": "0", "GID": "0", "Mode": 0o444}}
            for s in secrets
        ]
    if configs:
        container["Configs"] = [
            {"ConfigName": c, "File": {"Name": f"/{c.split('_', 1)[-1]}", "UID": "0", "GID": "0", "Mode": 0o444}}
            for c in configs
        ]
    restart: dict = {"Condition": restart_condition, "Delay": int(restart_delay * SECOND)}
    if max_attempts is not None:
        restart["MaxAttempts"] = max_attempts
    spec: dict = {
        "Name": full,
        "Labels": dict(labels or {}),
        "TaskTemplate": {
            "ContainerSpec": container,
            "RestartPolicy": restart,
            "Networks": [{"Target": n, "Aliases": [name]} for n in networks],
        },
        "UpdateConfig": {
            "Parallelism": parallelism,
            "Delay": int(delay * SECOND),
            "FailureAction": failure_action,
            "Monitor": int(monitor * SECOND),
            "Order": order,
        },
        "RollbackConfig": {"Parallelism": 0, "Monitor": int(monitor * SECOND), "FailureAction": "pause"},
    }
    if mode == "global":
        spec["Mode"] = {"Global": {}}
    else:
        spec["Mode"] = {"Replicated": {"Replicas": replicas}}
    if not networks:
        del spec["TaskTemplate"]["Networks"]
    return spec


def wait_until(predicate, timeout: float = 30.0, interval: float = 0.2, what: str = "condition"):
    """Poll `predicate` until it returns something true; AssertionError naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def wait_finished(op, timeout: float = 120.0):
    """Reload `op` until it is succeeded, failed or cancelled; returns the fresh row."""
    from apps.operations.models import ACTIVE, Operation

    def finished():
        fresh = Operation.objects.get(pk=op.pk)
        return fresh if fresh.status not in ACTIVE else None

    try:
        return wait_until(finished, timeout, interval=0.25, what=f"operation {op.pk} to finish")
    except AssertionError:
        fresh = Operation.objects.get(pk=op.pk)
        events = "\n".join(f"  {e.seq} {e.level} {e.message}" for e in fresh.events.order_by("seq"))
        raise AssertionError(
            f"operation {op.pk} still {fresh.status} after {timeout}s ({fresh.explanation}):\n{events}"
        ) from None


def stack_services(swarm, namespace: str) -> list[dict]:
    return swarm.service_list(labels={NAMESPACE_LABEL: namespace})


def remove_stack(swarm, namespace: str, timeout: float = 60.0) -> None:
    """`docker stack rm`: services, then secrets and configs, then networks (waiting until they are gone)."""
    label = {NAMESPACE_LABEL: namespace}
    for service in swarm.service_list(labels=label):
        with contextlib.suppress(ObjectNotFound):
            swarm.service_remove(service["ID"])
    # secrets and configs stay in use until the tasks are gone
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        tasks = [t for t in swarm.task_list(labels=label) if (t.get("Status") or {}).get("State") == "running"]
        if not tasks:
            break
        time.sleep(0.3)
    for listing, remove in (
        (swarm.secret_list, swarm.secret_remove),
        (swarm.config_list, swarm.config_remove),
        (swarm.network_list, swarm.network_remove),
    ):
        for obj in listing(labels=label):
            obj_id = obj.get("ID") or obj.get("Id")
            remove_retrying(remove, obj_id, deadline)
    wait_until(lambda: not swarm.network_list(labels=label), max(deadline - time.monotonic(), 5), what="networks gone")


def remove_retrying(remove, obj_id: str, deadline: float) -> None:
    """`remove(obj_id)` until it is gone; a swarm error (still in use by stopping tasks) is retried until `deadline`."""
    while True:
        try:
            remove(obj_id)
            return
        except ObjectNotFound:
            return
        except SwarmError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)
