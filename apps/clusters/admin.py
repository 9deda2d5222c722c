"""Django admin for superusers. TLS keys are never shown (they are left out of every form and list);
register and edit clusters through Davit's pages or API so the endpoint is checked and the change audited."""

from django.contrib import admin

from .models import Cluster, NodeEngine


class NodeEngineInline(admin.TabularInline):
    model = NodeEngine
    fields = ["hostname", "node_id", "endpoint_url", "created"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True


@admin.register(Cluster)
class ClusterAdmin(admin.ModelAdmin):
    list_display = ["name", "team", "endpoint_url", "reachable", "node_count", "manager_count", "last_check"]
    list_filter = ["reachable", "team"]
    search_fields = ["name", "endpoint_url", "swarm_id"]
    fields = ["name", "team", "description", "endpoint_url", "tls_ca", "tls_cert", *Cluster.FACTS, "created"]
    readonly_fields = ["endpoint_url", "tls_ca", "tls_cert", *Cluster.FACTS, "created"]
    inlines = [NodeEngineInline]


@admin.register(NodeEngine)
class NodeEngineAdmin(admin.ModelAdmin):
    list_display = ["hostname", "node_id", "cluster", "endpoint_url", "created"]
    search_fields = ["hostname", "node_id", "endpoint_url"]
    list_filter = ["cluster"]
    fields = ["cluster", "hostname", "node_id", "endpoint_url", "tls_ca", "tls_cert", "created"]
    readonly_fields = fields
