"""Reads of the audit log, scoped: entries of the teams the user views, plus the user's own acts.
Superusers see every entry, including those of no team (users, the system)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from apps.accounts.permissions import Action, team_ids
from apps.core.errors import NotFound

from .models import AuditEntry


def audit_entries(user) -> QuerySet[AuditEntry]:
    queryset = AuditEntry.objects.select_related("team")
    ids = team_ids(user, Action.VIEW)
    if ids is None:
        return queryset
    if user is None or not user.is_authenticated:
        return queryset.none()
    return queryset.filter(Q(team_id__in=ids) | Q(actor=user))


def audit_entry_get(user, pk) -> AuditEntry:
    entry = audit_entries(user).filter(pk=pk).first() if str(pk).isdigit() else None
    if entry is None:
        raise NotFound("this audit entry does not exist or belongs to a team you are not a member of")
    return entry


def known_actions(user) -> list[str]:
    return list(audit_entries(user).order_by().values_list("action", flat=True).distinct()[:200])
