"""Rollout watch: follow services' tasks after a create or update until each has converged, failed or paused.

Converged = every desired task of the CURRENT spec is running (the engine's up-to-date task filter), and it stays so
for the update policy's monitor time (5 s when unset, as `docker stack deploy --detach=false`). The swarm's own
update state is read too: `paused` ends the operation failed; a rollback done by the swarm (failure action
rollback) is recorded and ends the operation failed with the swarm's reason. Each poll is ONE service list and
ONE task list (plus one node list when a global service is watched), whatever the number of services.

A person's cancel during the watch rolls the updated services back to their previous spec.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from apps.swarm.services import service_mode

from ..runner import Cancelled, OperationFailed

DEFAULT_MONITOR = 5.0
POLL = 0.5
ROLLING_BACK = ("rollback_started",)
ROLLED_BACK = ("rollback_completed",)
PAUSED = ("paused",)
ROLLBACK_PAUSED = ("rollback_paused",)
UPDATING = ("updating", "rollback_started")
FAILED_STATES = ("failed", "rejected", "orphaned")


@dataclass
class Watched:
    id: str
    name: str
    action: str  # created, updated, unchanged
    running: int = 0
    desired: int = 0
    converged_since: float | None = None
    done: bool = False
    first_poll: bool = True
    last_error: str = ""
    rollback_reason: str = ""
    rollback_noted: bool = False
    failed_tasks: set = field(default_factory=set)
    last_counts: tuple | None = None

    @property
    def fraction(self) -> float:
        if self.done:
            return 1.0
        if self.desired <= 0:
            return 0.0
        return min(1.0, self.running / self.desired)


def _monitor_seconds(spec: dict) -> float:
    monitor = (spec.get("UpdateConfig") or {}).get("Monitor") or 0
    return monitor / 1e9 if monitor else DEFAULT_MONITOR


def _counts(spec: dict, tasks: list[dict], nodes_down: set[str]) -> tuple[int, int, bool]:
    """(running, desired, job_complete) of one service from its up-to-date tasks."""
    mode = service_mode(spec)
    live = [t for t in tasks if t.get("DesiredState") in ("running", "complete") and t.get("NodeID") not in nodes_down]
    if mode == "replicated":
        desired = ((spec.get("Mode") or {}).get("Replicated") or {}).get("Replicas")
        desired = 1 if desired is None else int(desired)
        slots = {t.get("Slot") for t in live if (t.get("Status") or {}).get("State") == "running"}
        return min(len(slots), desired), desired, False
    if mode == "global":
        wanted = {t.get("NodeID") for t in live if t.get("DesiredState") == "running" and t.get("NodeID")}
        running = {t.get("NodeID") for t in live if (t.get("Status") or {}).get("State") == "running"}
        return len(wanted & running), len(wanted), False
    if mode == "replicated-job":
        job = (spec.get("Mode") or {}).get("ReplicatedJob") or {}
        total = int(job.get("TotalCompletions") or job.get("MaxConcurrent") or 1)
        complete = sum(1 for t in tasks if (t.get("Status") or {}).get("State") == "complete")
        return min(complete, total), total, complete >= total
    # global-job
    wanted = {t.get("NodeID") for t in live}
    complete = {t.get("NodeID") for t in tasks if (t.get("Status") or {}).get("State") == "complete"}
    return len(wanted & complete), len(wanted), bool(wanted) and wanted <= complete


def _task_error(task: dict) -> str:
    status = task.get("Status") or {}
    return (status.get("Err") or status.get("Message") or status.get("State") or "").strip()


def watch(ctx, client, targets: list[Watched], *, timeout: float, start: int = 30, end: int = 100) -> None:
    """Follow `targets` until all converged; raises OperationFailed (failed, paused, rolled back, too slow) or
    Cancelled (after rolling the updated services back)."""
    if not targets:
        return
    deadline = time.monotonic() + timeout
    node_names: dict[str, str] = {}
    try:
        node_names = {n["ID"]: (n.get("Description") or {}).get("Hostname", n["ID"][:12]) for n in client.node_list()}
    except Exception:  # names are a nicety; the watch goes on without them
        node_names = {}
    ctx.event(
        f"Watching the rollout of {len(targets)} service(s): {', '.join(t.name for t in targets)}",
        data={"services": [t.name for t in targets], "timeout": timeout},
    )
    while True:
        if ctx.cancel_requested(max_age=0.5):
            _cancel(ctx, client, targets)
        pending = [t for t in targets if not t.done]
        if not pending:
            return
        services = {s["ID"]: s for s in client.service_list(ids=[t.id for t in pending])}
        tasks = client.task_list(service=[t.id for t in pending], up_to_date=True)
        need_nodes = any(service_mode((services.get(t.id) or {}).get("Spec") or {}) != "replicated" for t in pending)
        nodes_down: set[str] = set()
        if need_nodes:
            nodes = client.node_list()
            nodes_down = {n["ID"] for n in nodes if (n.get("Status") or {}).get("State") == "down"}
        per_service: dict[str, list] = {}
        for task in tasks:
            per_service.setdefault(task.get("ServiceID"), []).append(task)
        now = time.monotonic()
        for target in pending:
            service = services.get(target.id)
            if service is None:
                raise OperationFailed(f"Service {target.name} was removed while its rollout was watched.")
            _step(ctx, client, target, service, per_service.get(target.id, []), nodes_down, node_names, now)
        _progress(ctx, targets, start, end)
        if all(t.done for t in targets):
            return
        if time.monotonic() > deadline:
            for target in targets:
                if not target.done and not target.last_error:
                    _report_failures(ctx, client.task_list(service=target.id), target, node_names)
            raise OperationFailed(_too_slow(targets, timeout))
        time.sleep(POLL)


def _report_failures(ctx, tasks: list, target: Watched, node_names: dict, *, job: bool = False) -> None:
    """One event per task of the service that failed (newest error kept as the service's last error)."""
    ended = FAILED_STATES if job else (*FAILED_STATES, "complete")
    failed = [t for t in tasks if (t.get("Status") or {}).get("State") in ended and t["ID"] not in target.failed_tasks]
    for task in sorted(failed, key=lambda t: (t.get("Status") or {}).get("Timestamp", "")):
        target.failed_tasks.add(task["ID"])
        task_state = task["Status"]["State"]
        error = _task_error(task)
        target.last_error = error
        node = node_names.get(task.get("NodeID", ""), (task.get("NodeID") or "?")[:12])
        ctx.event(
            f"Service {target.name}: task {target.name}.{task.get('Slot') or task.get('NodeID', '')[:12]} on "
            f"{node} {task_state}: {error}",
            level="warning",
            data={"service": target.name, "task": task["ID"], "state": task_state, "error": error, "node": node},
        )


def _step(ctx, client, target: Watched, service: dict, tasks: list, nodes_down, node_names, now: float) -> None:
    spec = service.get("Spec") or {}
    update = service.get("UpdateStatus") or {}
    state = update.get("State", "")
    message = (update.get("Message") or "").strip()
    job = service_mode(spec).endswith("job")
    _report_failures(ctx, tasks, target, node_names, job=job)

    if state in (*ROLLING_BACK, *ROLLED_BACK, *PAUSED, *ROLLBACK_PAUSED) and target.action == "updated":
        # the failed tasks of the new spec are no longer "up to date" once the swarm reacted: read them all
        _report_failures(ctx, client.task_list(service=target.id), target, node_names, job=job)
    if state in ROLLING_BACK and not target.rollback_noted:
        target.rollback_noted = True
        target.rollback_reason = message
        ctx.event(
            f"The swarm is rolling back service {target.name}: {message or 'the update failed'}",
            level="warning",
            data={"service": target.name, "update_state": state, "message": message},
        )
    reason = target.last_error or target.rollback_reason or message or "no reason given"
    if state in ROLLED_BACK and target.action == "updated":
        ctx.result.setdefault("rolled_back", []).append(target.name)
        ctx.event(
            f"The swarm rolled back service {target.name}: {message or 'the update failed'}",
            level="error",
            data={"service": target.name, "update_state": state, "message": message},
        )
        raise OperationFailed(
            f"The update of service {target.name} failed and the swarm rolled it back to its previous spec: {reason}."
        )
    if state in PAUSED:
        raise OperationFailed(
            f"The update of service {target.name} is paused by the swarm: {message or 'an updated task failed'}"
            + (f" (task error: {target.last_error})" if target.last_error else "")
            + ". Fix the spec and apply again, or roll the service back."
        )
    if state in ROLLBACK_PAUSED:
        raise OperationFailed(f"The swarm's rollback of service {target.name} paused: {message or 'a task failed'}.")

    running, desired, job_complete = _counts(spec, tasks, nodes_down)
    target.running, target.desired = running, desired
    counts = (running, desired)
    if counts != target.last_counts:
        target.last_counts = counts
        ctx.event(
            f"Service {target.name}: {running}/{desired} tasks running",
            data={"service": target.name, "running": running, "desired": desired, "phase": "rollout"},
        )
    mode = service_mode(spec)
    if mode.endswith("job"):
        converged = job_complete
    else:
        converged = running == desired and state not in UPDATING and (desired > 0 or not target.first_poll)
    first = target.first_poll
    target.first_poll = False
    if not converged:
        target.converged_since = None
        return
    if mode.endswith("job") or (first and target.action == "unchanged"):
        target.done = True
        if target.action != "unchanged":
            ctx.event(f"Service {target.name} converged", data={"service": target.name, "converged": True})
        return
    if target.converged_since is None:
        target.converged_since = now
    if now - target.converged_since >= _monitor_seconds(spec):
        target.done = True
        ctx.event(
            f"Service {target.name} converged: {running}/{desired} tasks running and stable",
            data={"service": target.name, "running": running, "desired": desired, "converged": True},
        )


def _progress(ctx, targets: list[Watched], start: int, end: int) -> None:
    share = sum(t.fraction for t in targets) / len(targets)
    ctx.progress(start + (end - start) * share * (0.99 if not all(t.done for t in targets) else 1))


def _too_slow(targets: list[Watched], timeout: float) -> str:
    waiting = [t for t in targets if not t.done]
    parts = []
    for t in waiting:
        text = f"service {t.name} has {t.running} of {t.desired} tasks running"
        if t.last_error:
            text += f" (last task error: {t.last_error})"
        parts.append(text)
    return f"The rollout did not converge within {int(timeout)} s: " + "; ".join(parts) + "."


def _cancel(ctx, client, targets: list[Watched]) -> None:
    rolled, left = [], []
    for target in targets:
        if target.done:
            continue
        if target.action == "updated":
            ctx.event(
                f"Rolling back service {target.name} to its previous spec",
                level="warning",
                data={"service": target.name, "rollback": True},
            )
            client.service_rollback(target.id)
            rolled.append(target.name)
        elif target.action == "created":
            left.append(target.name)
    ctx.result["rolled_back"] = rolled
    text = "Cancelled during the rollout"
    if rolled:
        text += f"; rolled back to the previous spec: {', '.join(rolled)}"
    if left:
        text += f"; created by this operation and left in place: {', '.join(left)}"
    raise Cancelled(text + ".")
