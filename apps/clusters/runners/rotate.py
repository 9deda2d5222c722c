"""rotate_secret / rotate_config: a new version `<name>.vN` with the new data, every service using the old one
moved to it (same target, uid, gid, mode), then the old one removed once the services have converged.

The new data comes sealed (encrypted at rest) in the operation; it is never put in an event or a log line.
"""

from __future__ import annotations

import base64
import time

from apps.operations.runner import OperationFailed
from apps.swarm import resources as swarm_resources
from apps.swarm.errors import ObjectConflict, ObjectNotFound, SwarmError

CONVERGE_TIMEOUT = 300
ROTATED_FROM = "davit.rotated-from"


def run_secret(ctx) -> dict:
    return _rotate(ctx, "secret")


def run_config(ctx) -> dict:
    return _rotate(ctx, "config")


def _calls(client, kind):
    if kind == "secret":
        return client.secret_inspect, client.secret_list, client.secret_create, client.secret_remove
    return client.config_inspect, client.config_list, client.config_create, client.config_remove


def _rotate(ctx, kind: str) -> dict:
    client = ctx.client
    inspect, listing, create, remove = _calls(client, kind)
    old_id = ctx.params["id"]
    try:
        old = inspect(old_id)
    except ObjectNotFound:
        raise OperationFailed(f"{kind} {ctx.params.get('name', old_id)} no longer exists")
    old_name = old["Spec"]["Name"]
    labels = dict(old["Spec"].get("Labels") or {})
    existing = {(o.get("Spec") or {}).get("Name", "") for o in listing()}
    new_name = swarm_resources.next_version_name(old_name, existing)
    data = base64.b64decode(ctx.sealed["data"])
    ctx.progress(10)
    try:
        new_id = create(new_name, data, labels={**labels, ROTATED_FROM: old_name})
    except SwarmError as exc:
        raise OperationFailed(f"Creating {kind} {new_name} failed: {exc}")
    del data
    ctx.event(f"Created {kind} {new_name} ({new_id[:12]})", data={"new_id": new_id, "new_name": new_name})

    services = client.service_list()
    users = [s for s in services if swarm_resources.replace_reference(s["Spec"], kind, old_id, new_id, new_name)[1]]
    ctx.event(f"{len(users)} service(s) use {old_name}: {', '.join(s['Spec']['Name'] for s in users) or 'none'}")
    ctx.progress(20)
    updated = []
    for number, service in enumerate(users, start=1):
        ctx.check_cancel()
        _move_service(ctx, client, kind, service["ID"], old_id, new_id, new_name)
        updated.append(service["ID"])
        ctx.progress(20 + int(50 * number / max(len(users), 1)))
    for service_id in updated:
        _wait_converged(ctx, client, kind, service_id, new_id, old_name)
    ctx.progress(85)
    try:
        remove(old_id)
    except (ObjectConflict, SwarmError) as exc:
        raise OperationFailed(
            f"The services now use {new_name}, but the old {kind} {old_name} could not be removed: {exc}"
        )
    ctx.event(f"Removed the old {kind} {old_name}; {len(updated)} service(s) now use {new_name}")
    ctx.summary = f"{kind.capitalize()} {old_name} rotated to {new_name}; {len(updated)} service(s) updated."
    ctx.progress(100)
    return {"old_id": old_id, "old_name": old_name, "new_id": new_id, "new_name": new_name, "services": updated}


def _move_service(ctx, client, kind, service_id, old_id, new_id, new_name) -> None:
    for attempt in range(3):
        service = client.service_inspect(service_id)
        spec, replaced = swarm_resources.replace_reference(service["Spec"], kind, old_id, new_id, new_name)
        name = service["Spec"].get("Name", service_id)
        if not replaced:
            ctx.event(f"Service {name} no longer uses the old {kind}")
            return
        try:
            client.service_update(service_id, service["Version"]["Index"], spec)
        except ObjectConflict:
            if attempt == 2:
                raise OperationFailed(f"Service {name} kept changing while it was being updated; try again")
            continue
        except SwarmError as exc:
            raise OperationFailed(f"Updating service {name} to {kind} {new_name} failed: {exc}")
        ctx.event(f"Service {name} now uses {new_name} ({replaced} reference(s), same target and mode)")
        return


def _wait_converged(ctx, client, kind: str, service_id: str, new_id: str, old_name: str) -> None:
    """Converged: the update is not in progress or paused, and every task meant to run uses the new version
    and is running."""
    field, id_key, _ = swarm_resources.REFERENCE_KEYS[kind]
    deadline = time.monotonic() + CONVERGE_TIMEOUT
    while True:
        ctx.check_cancel()
        service = client.service_inspect(service_id)
        name = service["Spec"].get("Name", service_id)
        status = service.get("UpdateStatus") or {}
        state = status.get("State", "")
        if state in ("paused", "rollback_started", "rollback_paused", "rollback_completed"):
            raise OperationFailed(
                f"Service {name} did not converge ({state}: {status.get('Message', '')}); the old {old_name} is kept"
            )
        if state != "updating":
            tasks = [t for t in client.task_list(service=service_id) if t.get("DesiredState") == "running"]
            done = all(
                (t.get("Status") or {}).get("State") == "running"
                and any(
                    ref.get(id_key) == new_id
                    for ref in ((t.get("Spec") or {}).get("ContainerSpec") or {}).get(field) or []
                )
                for t in tasks
            )
            if done:
                ctx.event(f"Service {name} has converged ({len(tasks)} task(s) running with the new version)")
                return
        if time.monotonic() > deadline:
            raise OperationFailed(
                f"Service {name} did not converge within {CONVERGE_TIMEOUT}s (update state {state or 'none'}); the "
                f"old {old_name} is kept"
            )
        time.sleep(1)
