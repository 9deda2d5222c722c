from django.urls import path

from . import interchange_views, views

app_name = "projects"

urlpatterns = [
    path("", views.project_list, name="list"),
    path("new/", views.project_create, name="create"),
    path("services/", views.services_list, name="services"),
    path("stacks/", interchange_views.stacks, name="stacks"),
    path("import-bundle/", interchange_views.import_bundle, name="import-bundle"),
    path("policy/<int:team_pk>/", views.team_policy, name="policy"),
    path("<int:pk>/", views.project_detail, name="detail"),
    path("<int:pk>/live/", views.project_live, name="live"),
    path("<int:pk>/revise/", views.project_revise, name="revise"),
    path("<int:pk>/revisions/<int:number>/", views.revision_detail, name="revision"),
    path("<int:pk>/revisions/<int:number>/diff/", views.revision_diff, name="diff"),
    path("<int:pk>/deploy/", views.project_deploy, name="deploy"),
    path("<int:pk>/rollback/", views.project_rollback, name="rollback"),
    path("<int:pk>/remove/", views.project_remove, name="remove"),
    path("<int:pk>/drift/accept/", views.drift_accept, name="drift-accept"),
    path("<int:pk>/export/", interchange_views.export, name="export"),
]
