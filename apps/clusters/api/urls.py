from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("clusters", views.ClusterViewSet, basename="cluster")

node = views.NodeView.as_view()
urlpatterns = [
    *router.urls,
    path("clusters/<int:pk>/nodes/", views.NodeListView.as_view(), name="cluster-nodes"),
    path("clusters/<int:pk>/nodes/<str:node_id>/", node, name="cluster-node"),
    path("nodes/<int:cluster_pk>:<str:node_id>/", views.NodeRefView.as_view(), name="node-detail"),
    path("clusters/<int:pk>/join/", views.JoinView.as_view(), name="cluster-join"),
    path("clusters/<int:pk>/join/rotate/", views.JoinRotateView.as_view(), name="cluster-join-rotate"),
    path("clusters/<int:pk>/engines/", views.EngineListView.as_view(), name="cluster-engines"),
    path("clusters/<int:pk>/engines/<int:engine_pk>/", views.EngineView.as_view(), name="cluster-engine"),
    path("clusters/<int:pk>/networks/", views.NetworkListView.as_view(), name="cluster-networks"),
    path("clusters/<int:pk>/networks/<str:network_id>/", views.NetworkView.as_view(), name="cluster-network"),
    path("clusters/<int:pk>/volumes/", views.VolumeListView.as_view(), name="cluster-volumes"),
    path("clusters/<int:pk>/volumes/<str:node_id>/<str:name>/", views.VolumeView.as_view(), name="cluster-volume"),
]

for kind in ("secret", "config"):
    urlpatterns += [
        path(
            f"clusters/<int:pk>/{kind}s/",
            views.ObjectListView.as_view(kind=kind),
            name=f"cluster-{kind}s",
        ),
        path(
            f"clusters/<int:pk>/{kind}s/<str:obj_id>/",
            views.ObjectView.as_view(kind=kind),
            name=f"cluster-{kind}",
        ),
        path(
            f"clusters/<int:pk>/{kind}s/<str:obj_id>/rotate/",
            views.ObjectRotateView.as_view(kind=kind),
            name=f"cluster-{kind}-rotate",
        ),
    ]
