"""Django admin for superusers: a read-only view of clusters and node engines.

Writes go through Davit's pages or API so the endpoint is checked, projects using a cluster block its removal,
and every change is audited. TLS keys are never shown (left out of every form and list).
"""

from django.contrib import admin

from apps.core.admin import NoWritesMixin

from .models import Cluster, NodeEngine


class NodeEngineInline(NoWritesMixin, admin.TabularInline):
    model = NodeEngine
    fields = ["hostname", "node_id", "endpoint_url", "created"]
    readonly_fields = fields
    extra = 0
    show_change_link = True


@admin.register(Cluster)
class ClusterAdmin(NoWritesMixin, admin.ModelAdmin):
    list_display = ["name", "team", "endpoint_url", "reachable", "node_count", "manager_count", "last_check"]
    list_filter = ["reachable", "team"]
    search_fields = ["name", "endpoint_url", "swarm_id"]
    fields = ["name", "team", "description", "endpoint_url", "tls_ca", "tls_cert", *Cluster.FACTS, "created"]
    readonly_fields = fields
    inlines = [NodeEngineInline]


@admin.register(NodeEngine)
class NodeEngineAdmin(NoWritesMixin, admin.ModelAdmin):
    list_display = ["hostname", "node_id", "cluster", "endpoint_url", "created"]
    search_fields = ["hostname", "node_id", "endpoint_url"]
    list_filter = ["cluster"]
    fields = ["cluster", "hostname", "node_id", "endpoint_url", "tls_ca", "tls_cert", "created"]
    readonly_fields = fields
