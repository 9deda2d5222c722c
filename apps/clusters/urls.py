from django.urls import path

from . import views

app_name = "clusters"

urlpatterns = [
    path("", views.cluster_list, name="list"),
    path("new/", views.cluster_create, name="create"),
    path("networks/", views.networks_all, name="networks-all"),
    path("secrets/", views.secrets_all, name="secrets-all"),
    path("<int:pk>/", views.cluster_detail, name="detail"),
    path("<int:pk>/edit/", views.cluster_edit, name="edit"),
    path("<int:pk>/remove/", views.cluster_remove, name="remove"),
    path("<int:pk>/refresh/", views.cluster_refresh, name="refresh"),
    path("<int:pk>/nodes/<str:node_id>/", views.node_detail, name="node"),
    path("<int:pk>/nodes/<str:node_id>/update/", views.node_update, name="node-update"),
    path("<int:pk>/nodes/<str:node_id>/remove/", views.node_remove, name="node-remove"),
    path("<int:pk>/join/", views.join, name="join"),
    path("<int:pk>/join/rotate/", views.join_rotate, name="join-rotate"),
    path("<int:pk>/engines/", views.engines, name="engines"),
    path("<int:pk>/engines/<int:engine_pk>/remove/", views.engine_remove, name="engine-remove"),
    path("<int:pk>/networks/", views.networks, name="networks"),
    path("<int:pk>/networks/<str:network_id>/remove/", views.network_remove, name="network-remove"),
    path("<int:pk>/volumes/", views.volumes, name="volumes"),
    path("<int:pk>/volumes/<str:node_id>/<str:name>/remove/", views.volume_remove, name="volume-remove"),
    path("<int:pk>/secrets/", views.objects, {"kind": "secret"}, name="secrets"),
    path("<int:pk>/secrets/<str:obj_id>/remove/", views.object_remove, {"kind": "secret"}, name="secret-remove"),
    path("<int:pk>/secrets/<str:obj_id>/rotate/", views.object_rotate, {"kind": "secret"}, name="secret-rotate"),
    path("<int:pk>/configs/", views.objects, {"kind": "config"}, name="configs"),
    path("<int:pk>/configs/<str:obj_id>/remove/", views.object_remove, {"kind": "config"}, name="config-remove"),
    path("<int:pk>/configs/<str:obj_id>/rotate/", views.object_rotate, {"kind": "config"}, name="config-rotate"),
]
