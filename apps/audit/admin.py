from django.contrib import admin

from apps.core.admin import ReadOnlyModelAdmin

from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyModelAdmin):
    list_display = ["created", "actor_name", "team", "action", "target_type", "target_id", "target_repr", "source_ip"]
    list_filter = ["action", "target_type", "team"]
    search_fields = ["actor_name", "action", "target_type", "target_id", "target_repr"]
    date_hierarchy = "created"
    readonly_fields = [
        "created",
        "actor",
        "actor_name",
        "team",
        "action",
        "target_type",
        "target_id",
        "target_repr",
        "source_ip",
        "summary",
    ]
