"""Base classes for every app's admin.py.

    from apps.core.admin import DavitModelAdmin, DavitInline, ReadOnlyModelAdmin

    @admin.register(Cluster)
    class ClusterAdmin(DavitModelAdmin):
        list_display = ["name", "team", "endpoint_url", "reachable"]

DavitModelAdmin / DavitInline never show a secret: EncryptedTextField fields and any field whose name contains
password, key, token or secret are left out of forms, read-only fields, lists, filters and searches.
Every add, change and delete made in the admin is written to the audit log in the admin's transaction.
ReadOnlyModelAdmin is for records nobody edits (the audit log, operation events).
"""

from __future__ import annotations

import re

from django.contrib import admin
from django.db import models, transaction

from .fields import EncryptedTextField

SENSITIVE_NAME = re.compile(r"password|key|token|secret", re.IGNORECASE)


def _superusers_only(request) -> bool:
    """The admin is for superusers: team roles live in the portal, not in Django's staff permissions."""
    return bool(request.user.is_active and request.user.is_superuser)


admin.site.has_permission = _superusers_only
admin.site.site_header = "Davit administration"
admin.site.site_title = "Davit"
admin.site.index_title = "Every model of Davit (secrets are never shown)"


def hidden_field_names(model: type[models.Model]) -> set[str]:
    names = set()
    for field in model._meta.get_fields():
        name = getattr(field, "name", "")
        if isinstance(field, EncryptedTextField) or SENSITIVE_NAME.search(name):
            names.add(name)
            attname = getattr(field, "attname", None)
            if attname:
                names.add(attname)
    return names


def _is_hidden(entry, hidden: set[str]) -> bool:
    if not isinstance(entry, str):
        return False
    base = entry.split("__", 1)[0]
    return entry in hidden or base in hidden or bool(SENSITIVE_NAME.search(entry))


def _keep(entries, hidden: set[str]):
    return [e for e in entries if not _is_hidden(e if not isinstance(e, tuple | list) else e[0], hidden)]


class HideSecretsMixin:
    """Leaves secret fields out of every form, list, filter and search of the admin."""

    def _hidden(self) -> set[str]:
        return hidden_field_names(self.model)

    def get_exclude(self, request, obj=None):
        return sorted({*(super().get_exclude(request, obj) or []), *self._hidden()})

    def get_fields(self, request, obj=None):
        return [f for f in super().get_fields(request, obj) if not _is_hidden(f, self._hidden())]

    def get_fieldsets(self, request, obj=None):
        hidden = self._hidden()
        fieldsets = []
        for title, options in super().get_fieldsets(request, obj):
            fields = []
            for entry in options.get("fields", ()):
                if isinstance(entry, tuple | list):
                    kept = [f for f in entry if not _is_hidden(f, hidden)]
                    if kept:
                        fields.append(tuple(kept))
                elif not _is_hidden(entry, hidden):
                    fields.append(entry)
            fieldsets.append((title, {**options, "fields": fields}))
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        return [f for f in super().get_readonly_fields(request, obj) if not _is_hidden(f, self._hidden())]


class AuditedAdminMixin:
    """Writes an audit entry for every add, change and delete done in the admin (field names and non-secret
    values only; record() scrubs secret-looking keys)."""

    def _audit_target_type(self, obj) -> str:
        return obj._meta.model_name

    def _audit_team(self, obj):
        path = getattr(obj, "team_path", None)
        if path == "pk":
            return obj
        if path and "__" not in path:
            return getattr(obj, path, None)
        return None

    def _audit(self, request, obj, verb: str, fields=None):
        from apps.audit.services import record

        summary = {"via": "admin"}
        if fields:
            hidden = hidden_field_names(type(obj))
            summary["fields"] = {
                name: str(getattr(obj, name, ""))[:200] for name in fields if not _is_hidden(name, hidden)
            }
        target = obj if obj.pk is not None else (self._audit_target_type(obj), "", str(obj))
        record(
            request.user,
            f"{self._audit_target_type(obj)}.{verb}",
            target,
            team=self._audit_team(obj),
            summary=summary,
        )

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            self._audit(request, obj, "update" if change else "create", form.changed_data)

    def delete_model(self, request, obj):
        with transaction.atomic():
            team = self._audit_team(obj)
            target = (self._audit_target_type(obj), str(obj.pk), str(obj))
            super().delete_model(request, obj)
            from apps.audit.services import record

            record(request.user, f"{target[0]}.delete", target, team=team, summary={"via": "admin"})

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                self.delete_model(request, obj)

    def save_formset(self, request, form, formset, change):
        with transaction.atomic():
            super().save_formset(request, form, formset, change)
            for obj in getattr(formset, "new_objects", []):
                self._audit(request, obj, "create", [f.name for f in obj._meta.concrete_fields])
            for obj, fields in getattr(formset, "changed_objects", []):
                self._audit(request, obj, "update", fields)
            for obj in getattr(formset, "deleted_objects", []):
                self._audit(request, obj, "delete")


class DavitModelAdmin(AuditedAdminMixin, HideSecretsMixin, admin.ModelAdmin):
    def get_list_display(self, request):
        return _keep(super().get_list_display(request), self._hidden())

    def get_list_filter(self, request):
        return _keep(super().get_list_filter(request), self._hidden())

    def get_search_fields(self, request):
        return _keep(super().get_search_fields(request), self._hidden())


class DavitInline(HideSecretsMixin, admin.TabularInline):
    extra = 0


class NoWritesMixin:
    """For model admins and inlines: nobody adds, changes or deletes a row here, superusers neither."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyModelAdmin(NoWritesMixin, DavitModelAdmin):
    """Viewable by superusers, never added, changed or deleted (not even in bulk): the add and delete pages
    do not even exist, so no URL answers 403 to everybody."""

    actions = None

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        dropped = {"%s_%s_add" % info, "%s_%s_delete" % info}  # noqa: UP031
        return [url for url in super().get_urls() if url.name not in dropped]
