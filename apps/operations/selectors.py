"""Reads of operations, always scoped to the user asking (restrict())."""

from __future__ import annotations

from django.db.models import QuerySet

from apps.accounts.permissions import Action, can, require, restrict
from apps.core.errors import NotFound, ValidationFailed

from .models import Operation, OperationEvent

FILTERS = ("status", "kind", "team", "target_type", "target_id", "cluster")


def operations_visible(user, filters: dict | None = None) -> QuerySet[Operation]:
    """The operations of the user's teams, newest first, optionally filtered by status, kind, team, target."""
    queryset = restrict(Operation.objects.select_related("team", "created_by", "cluster"), user, Action.VIEW)
    queryset = queryset.defer("sealed", "params", "result")
    for key, value in (filters or {}).items():
        if value in (None, "") or key not in FILTERS:
            continue
        field = f"{key}_id" if key in ("team", "cluster") else key
        if key in ("team", "cluster") and not str(value).isdigit():
            raise ValidationFailed(f"{key} must be the id (a number) of a {key}, got {str(value)[:40]!r}", field=key)
        if key == "status" and "," in str(value):
            queryset = queryset.filter(status__in=str(value).split(","))
        else:
            queryset = queryset.filter(**{field: value})
    return queryset.order_by("-created", "-id")


def operation_get(user, pk, action: Action = Action.VIEW) -> Operation:
    """The operation if the user may see it (NotFound otherwise, no existence leak), then require(action)."""
    op = None
    if str(pk).isdigit():
        op = (
            restrict(Operation.objects.select_related("team", "created_by", "cluster", "retry_of"), user, Action.VIEW)
            .defer("sealed")
            .filter(pk=pk)
            .first()
        )
    if op is None:
        raise NotFound("this operation does not exist or you are not a member of its team")
    if action != Action.VIEW:
        require(user, op.team_id, action, "this operation")
    return op


def events_after(op: Operation, after: int = 0, limit: int = 500) -> list[OperationEvent]:
    return list(OperationEvent.objects.filter(operation=op, seq__gt=after).order_by("seq")[:limit])


def may_operate(user, op: Operation) -> bool:
    return can(user, op.team_id, Action(op.required_action))


def latest_items(op: Operation) -> list[dict]:
    """The latest progress of each service / layer of the operation (from event data), for progress bars."""
    items: dict[tuple, dict] = {}
    rows = OperationEvent.objects.filter(operation=op).order_by("seq").values_list("data", flat=True)
    for data in rows.iterator():
        if not isinstance(data, dict):
            continue
        if "layer" in data and data.get("total"):
            key = ("layer", data.get("node", ""), data["layer"])
            items[key] = {
                "label": f"{data.get('node', '')} {data['layer']}".strip(),
                "done": data.get("current", 0),
                "total": data["total"],
                "status": data.get("status", ""),
            }
        elif "layer" in data and data.get("status") in ("Pull complete", "Already exists", "Download complete"):
            key = ("layer", data.get("node", ""), data["layer"])
            previous = items.get(key, {})
            total = previous.get("total") or 1
            items[key] = {
                "label": f"{data.get('node', '')} {data['layer']}".strip(),
                "done": total,
                "total": total,
                "status": data["status"],
            }
        elif "service" in data and "desired" in data:
            key = ("service", data["service"])
            items[key] = {
                "label": data["service"],
                "done": data.get("running", 0),
                "total": max(data.get("desired") or 0, 1) if data.get("desired") else 0,
                "status": "converged" if data.get("converged") else f"{data.get('running', 0)}/{data['desired']}",
            }
    return list(items.values())
