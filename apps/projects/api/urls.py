from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("projects", views.ProjectViewSet, basename="project")

urlpatterns = [
    *router.urls,
    path("projects/<int:pk>/revisions/", views.RevisionListView.as_view(), name="project-revisions"),
    path("projects/<int:pk>/revisions/<int:number>/", views.RevisionView.as_view(), name="project-revision"),
    path(
        "projects/<int:pk>/revisions/<int:number>/diff/",
        views.RevisionDiffView.as_view(),
        name="project-revision-diff",
    ),
    path("team-policies/<int:pk>/", views.TeamPolicyView.as_view(), name="team-policy"),
]
