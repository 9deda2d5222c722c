"""The audit log's filters, shared by the page and the API."""

from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from apps.accounts.permissions import Action, teams_for

from .models import AuditEntry


def _visible_teams(request):
    return teams_for(getattr(request, "user", None), Action.VIEW)


class AuditFilter(django_filters.FilterSet):
    team = django_filters.ModelChoiceFilter(
        label=_("Team"),
        queryset=_visible_teams,
        empty_label=_("Any team"),
        help_text=_("A team id (one you are a member of)."),
    )
    actor = django_filters.CharFilter(
        label=_("Actor"), field_name="actor_name", help_text=_("The username of who acted, or 'system'.")
    )
    action = django_filters.CharFilter(
        label=_("Action"), method="filter_action", help_text=_("e.g. token.create; end with * for a prefix: token.*")
    )
    target_type = django_filters.CharFilter(label=_("Target type"), help_text=_("e.g. cluster, membership"))
    target_id = django_filters.CharFilter(label=_("Target id"))
    since = django_filters.DateTimeFilter(
        label=_("Since"),
        field_name="created",
        lookup_expr="gte",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_("ISO 8601 date or time, e.g. 2025-01-31 or 2025-01-31T12:00:00Z"),
    )
    until = django_filters.DateTimeFilter(
        label=_("Until"),
        field_name="created",
        lookup_expr="lte",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_("ISO 8601 date or time, e.g. 2025-01-31 or 2025-01-31T12:00:00Z"),
    )

    class Meta:
        model = AuditEntry
        fields = ["team", "actor", "action", "target_type", "target_id", "since", "until"]

    def filter_action(self, queryset, name, value):
        value = value.strip()
        if value.endswith("*"):
            return queryset.filter(action__startswith=value[:-1])
        return queryset.filter(action=value)
