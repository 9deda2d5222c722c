from django.urls import include, path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("projects", views.ProjectViewSet, basename="project")

urlpatterns = [
    path("", include("apps.projects.api.interchange")),  # before the router: projects/adopt/ is no project id
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
