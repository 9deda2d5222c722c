"""The team policy applied to FINAL specs: one function every path that sends specs to a swarm calls.

Compose create and revise, rollback, accept of drift, a deploy of an old revision after the policy was tightened,
and (later) the wizard, templates, bundles, adoption and the update of one service all end in `enforce()`.
`operation_check()` runs the same check again in the `apply` runner on the specs it is about to send, so a retry
of an old operation (or any `apply` started without these services) meets the policy as it is now.
"""

from __future__ import annotations

from apps.core.errors import ValidationFailed
from apps.swarm import policy as swarm_policy

from .models import TeamPolicy


class PolicyRefused(ValidationFailed):
    code = "policy"

    def __init__(self, refusals: list[swarm_policy.Refusal]):
        self.refusals = refusals
        lines = [str(item) for item in refusals]
        errors: dict[str, list[str]] = {}
        for item in refusals:
            where = f"services.{item.service}.{item.key}" if item.service else item.key
            errors.setdefault(where, []).append(item.reason)
        first = lines[0] if lines else ""
        more = f" (and {len(lines) - 1} more)" if len(lines) > 1 else ""
        super().__init__(f"refused by the team's policy: {first}{more}", errors=errors)


def service_specs(specs) -> list[dict]:
    """The service specs of a stored plan ({"services": {name: spec}} or [spec, ...]) or a list of specs."""
    if isinstance(specs, dict):
        services = specs.get("services", {})
        return list(services.values()) if isinstance(services, dict) else list(services)
    return list(specs or [])


def network_bodies(specs) -> dict | list:
    if isinstance(specs, dict):
        return specs.get("networks") or {}
    return []


def check(team, specs, *, host_network_ids=()) -> list[swarm_policy.Refusal]:
    """The refusals of `specs` (a stored plan or a list of ServiceSpec bodies) under the team's policy."""
    allowed = TeamPolicy.for_team(team).allowed()
    return swarm_policy.refusals(
        service_specs(specs), allow=allowed, networks=network_bodies(specs), host_network_ids=host_network_ids
    )


def enforce(team, specs, *, host_network_ids=()) -> None:
    """Raise PolicyRefused (400, naming each offending key) when the team's policy forbids part of `specs`."""
    found = check(team, specs, host_network_ids=host_network_ids)
    if found:
        raise PolicyRefused(found)


def operation_check(ctx, specs: list[dict], *, networks=None, external_networks=()) -> str | None:
    """Pre-apply check (apps.operations.checks) of the operation's team, its policy read fresh from the database:
    None, or the sentence naming each refused service and key and the setting that would allow it."""
    team_id = ctx.operation.team_id
    host_ids: frozenset[str] = frozenset()
    if external_networks and swarm_policy.HOST_NETWORK not in TeamPolicy.for_team(team_id).allowed():
        host_ids = swarm_policy.host_network_names(ctx.client.network_list())
    found = check(team_id, {"services": specs, "networks": networks or {}}, host_network_ids=host_ids)
    if not found:
        return None
    lines = []
    for item in found:
        setting = TeamPolicy._meta.get_field(f"allow_{item.category}").verbose_name
        lines.append(f"{item} — {setting} in the team policy")
    return f"Refused by the team policy: {'; '.join(lines)}. Nothing was created or updated."
