"""Django admin for superusers: operations, their events and locks, read-only (sealed secrets never shown)."""

from django.contrib import admin

from apps.core.admin import DavitInline, ReadOnlyModelAdmin

from .models import Operation, OperationEvent, OperationLock


class OperationEventInline(DavitInline):
    model = OperationEvent
    fields = ("seq", "time", "level", "message", "data")
    readonly_fields = fields
    can_delete = False
    ordering = ("seq",)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Operation)
class OperationAdmin(ReadOnlyModelAdmin):
    list_display = ("id", "kind", "target_repr", "team", "status", "progress", "created_by", "created", "finished")
    list_filter = ("status", "kind", "team")
    search_fields = ("target_repr", "explanation", "kind")
    inlines = [OperationEventInline]
    date_hierarchy = "created"


@admin.register(OperationLock)
class OperationLockAdmin(ReadOnlyModelAdmin):
    list_display = ("id", "operation", "acquired")
