"""record(): every service function that writes calls it inside its transaction."""

from __future__ import annotations

import re

from django.db import connection, transaction
from django.db.models import Model

from apps.core.middleware import source_ip

from .models import AuditEntry

SECRET_KEY_PATTERN = re.compile(r"pass(word)?|secret|token|private|key_pem|^key$|tls_key|credential|data$|value$", re.I)
REDACTED = "[redacted]"
# keys that name or count a secret rather than hold it ("secret_name", "secret_id", "tokens_revoked"...)
NAMING_KEY = re.compile(r"(name|names|_id|_ids|_count|_revoked|_created|_removed)$", re.I)


def scrub(value, key: str = ""):
    """Replace secret values (by key name) in nested data; keeps the shape so a reader sees what changed."""
    if key and SECRET_KEY_PATTERN.search(key) and not NAMING_KEY.search(key):
        return REDACTED if value not in (None, "", [], {}) else value
    if isinstance(value, dict):
        return {k: scrub(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    return value


def _team_of(target, team):
    if team is not None:
        return team
    if not isinstance(target, Model):
        return None
    if getattr(target, "team_path", None) == "pk":  # the target is a team
        return target
    return getattr(target, "team", None)


def record(actor, action: str, target, *, team=None, summary: dict | None = None) -> AuditEntry:
    """Write one audit entry. Must run inside the caller's transaction so the change and its record commit together."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit.record() must be called inside the write's transaction")
    if isinstance(target, Model):
        target_type = target._meta.label_lower.split(".")[-1]
        target_id = str(target.pk or "")
        target_repr = str(target)[:200]
    elif isinstance(target, tuple):
        target_type, target_id, target_repr = (str(part) for part in target)
    else:
        target_type, target_id, target_repr = str(target), "", ""
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEntry.objects.create(
        actor=actor if is_user else None,
        actor_name=actor.get_username() if is_user else "system",
        team=_team_of(target, team),
        action=action,
        target_type=target_type,
        target_id=target_id,
        target_repr=target_repr,
        source_ip=source_ip.get(),
        summary=scrub(summary or {}),
    )


__all__ = ["record", "scrub", "transaction"]
