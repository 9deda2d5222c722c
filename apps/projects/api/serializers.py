"""Shapes of the projects API. Types only; the meaning (Compose, policy, team) is checked by the services.

Files uploaded with a revision may hold secrets: only their names are ever returned.
"""

from django.urls import reverse
from rest_framework import serializers

from apps.operations.responses import OperationAcceptedSerializer

from ..models import Project, Revision, TeamPolicy
from ..services import RESOLVE_MODES


class ProjectSerializer(serializers.ModelSerializer):
    team_name = serializers.CharField(source="team.name", read_only=True)
    cluster_name = serializers.CharField(source="cluster.name", read_only=True)
    deployed_revision = serializers.SerializerMethodField()
    latest_revision = serializers.SerializerMethodField()
    urls = serializers.SerializerMethodField()

    class Meta:
        model = Project
        fields = [
            "id",
            "name",
            "team",
            "team_name",
            "cluster",
            "cluster_name",
            "description",
            "variables",
            "deployed_revision",
            "latest_revision",
            "created",
            "updated",
            "urls",
        ]
        read_only_fields = fields

    def get_deployed_revision(self, obj) -> int | None:
        return obj.deployed_revision.number if obj.deployed_revision_id else None

    def get_latest_revision(self, obj) -> int | None:
        number = getattr(obj, "latest_number", None)
        if number is not None:
            return number
        latest = obj.latest_revision()
        return latest.number if latest else None

    def get_urls(self, obj) -> dict:
        names = {
            "self": "project-detail",
            "revisions": "project-revisions",
            "deploy": "project-deploy",
            "rollback": "project-rollback",
            "remove": "project-remove",
            "drift": "project-drift",
        }
        urls = {key: reverse(name, args=[obj.pk]) for key, name in names.items()}
        urls["page"] = reverse("projects:detail", args=[obj.pk])
        return urls


class RevisionSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author_name", read_only=True)
    files = serializers.ListField(source="file_names", child=serializers.CharField(), read_only=True)
    services = serializers.ListField(source="service_names", child=serializers.CharField(), read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Revision
        fields = ["number", "origin", "author", "message", "created", "services", "files", "warnings", "url"]
        read_only_fields = fields

    def get_url(self, obj) -> str:
        return reverse("project-revision", args=[obj.project_id, obj.number])


class RevisionDetailSerializer(RevisionSerializer):
    """A revision with its source, variables and specs (secret and config bodies carry no data)."""

    class Meta(RevisionSerializer.Meta):
        fields = [*RevisionSerializer.Meta.fields, "variables", "source", "specs"]
        read_only_fields = fields


class ProjectCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    team = serializers.IntegerField()
    cluster = serializers.IntegerField()
    compose = serializers.CharField(trim_whitespace=False, allow_blank=True, help_text="The Compose file's text.")
    files = serializers.JSONField(
        required=False, help_text="{path: text} of the env_file, secret and config files the Compose file names."
    )
    variables = serializers.JSONField(required=False, help_text="{NAME: value} for interpolation (not secret).")
    message = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)
    description = serializers.CharField(required=False, allow_blank=True, default="")


class RevisionCreateSerializer(serializers.Serializer):
    compose = serializers.CharField(trim_whitespace=False, allow_blank=True)
    files = serializers.JSONField(
        required=False, help_text="Omitted: the files of the latest revision are kept (they are never returned)."
    )
    variables = serializers.JSONField(required=False, help_text="Omitted: the project's variables are kept.")
    message = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class RegistryCredentialSerializer(serializers.Serializer):
    serveraddress = serializers.CharField(max_length=300)
    username = serializers.CharField(max_length=300)
    password = serializers.CharField(max_length=2000, write_only=True, trim_whitespace=False)


class DeploySerializer(serializers.Serializer):
    revision = serializers.IntegerField(required=False, min_value=1, help_text="Default: the latest revision.")
    prune = serializers.BooleanField(required=False, default=False)
    prune_resources = serializers.BooleanField(required=False, default=False)
    resolve_image = serializers.ChoiceField(choices=RESOLVE_MODES, required=False, default="never")
    detach = serializers.BooleanField(required=False, default=False)
    registry_credentials = RegistryCredentialSerializer(many=True, required=False, write_only=True)


class RollbackSerializer(serializers.Serializer):
    revision = serializers.IntegerField(min_value=1)


class RollbackAcceptedSerializer(OperationAcceptedSerializer):
    """What a rollback answers: the operation and the new revision it deploys (documentation only)."""

    revision = RevisionSerializer()


class RemoveSerializer(serializers.Serializer):
    volumes = serializers.BooleanField(required=False, default=False)


class DriftActionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=["reapply", "accept"])
    message = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class TeamPolicySerializer(serializers.ModelSerializer):
    class Meta:
        model = TeamPolicy
        fields = ["team", *TeamPolicy.FLAGS, "updated"]
        read_only_fields = ["team", "updated"]


class TeamPolicyUpdateSerializer(serializers.Serializer):
    allow_bind_mounts = serializers.BooleanField(required=False)
    allow_capabilities = serializers.BooleanField(required=False)
    allow_host_network = serializers.BooleanField(required=False)
    allow_privileged = serializers.BooleanField(required=False)
