"""Django admin for superusers. Revisions are read-only (their files and secret data are sealed and never shown);
create and change projects through Davit's pages or API, which read the Compose file and check the policy."""

from django.contrib import admin

from apps.core.admin import DavitModelAdmin, ReadOnlyModelAdmin

from .models import Project, Revision, TeamPolicy


@admin.register(Project)
class ProjectAdmin(DavitModelAdmin):
    list_display = ["name", "team", "cluster", "deployed_revision", "updated"]
    list_filter = ["team", "cluster"]
    search_fields = ["name"]
    fields = ["name", "team", "cluster", "description", "variables", "deployed_revision", "created", "updated"]
    readonly_fields = ["name", "team", "cluster", "variables", "deployed_revision", "created", "updated"]


@admin.register(Revision)
class RevisionAdmin(ReadOnlyModelAdmin):
    list_display = ["project", "number", "origin", "author", "message", "created"]
    list_filter = ["origin", "project__team"]
    search_fields = ["project__name", "message"]
    fields = ["project", "number", "origin", "author", "message", "variables", "source", "specs", "warnings", "created"]


@admin.register(TeamPolicy)
class TeamPolicyAdmin(DavitModelAdmin):
    list_display = ["team", *TeamPolicy.FLAGS, "updated"]
    fields = ["team", *TeamPolicy.FLAGS, "updated"]
    readonly_fields = ["updated"]
