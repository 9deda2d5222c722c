"""Operation and event representations (the sealed secrets are never part of them)."""

from django.urls import reverse
from rest_framework import serializers

from ..models import Operation, OperationEvent
from ..runners import label


class OperationEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = OperationEvent
        fields = ["seq", "time", "level", "message", "data"]


class OperationSerializer(serializers.ModelSerializer):
    kind_label = serializers.SerializerMethodField()
    team_name = serializers.CharField(source="team.name", read_only=True)
    created_by = serializers.SerializerMethodField()
    target = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()
    page_url = serializers.SerializerMethodField()
    events_url = serializers.SerializerMethodField()

    class Meta:
        model = Operation
        fields = [
            "id",
            "kind",
            "kind_label",
            "team",
            "team_name",
            "created_by",
            "target",
            "cluster",
            "status",
            "progress",
            "explanation",
            "cancel_requested",
            "lock_key",
            "worker",
            "created",
            "started",
            "finished",
            "retry_of",
            "url",
            "page_url",
            "events_url",
        ]
        read_only_fields = fields

    def _absolute(self, url: str) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url

    def get_kind_label(self, op) -> str:
        return label(op.kind)

    def get_created_by(self, op) -> str | None:
        return op.created_by.get_username() if op.created_by_id else None

    def get_target(self, op) -> dict:
        url = op.target_url()
        return {
            "type": op.target_type,
            "id": op.target_id,
            "repr": op.target_repr,
            "page_url": self._absolute(url) if url else None,
        }

    def get_url(self, op) -> str:
        return self._absolute(reverse("operation-detail", args=[op.pk]))

    def get_page_url(self, op) -> str:
        return self._absolute(reverse("operations:detail", args=[op.pk]))

    def get_events_url(self, op) -> str:
        return self._absolute(reverse("operation-events", args=[op.pk]))


class OperationDetailSerializer(OperationSerializer):
    class Meta(OperationSerializer.Meta):
        fields = [*OperationSerializer.Meta.fields, "params", "result"]
        read_only_fields = fields
