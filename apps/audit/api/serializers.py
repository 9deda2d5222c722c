from rest_framework import serializers

from ..models import AuditEntry


class AuditEntrySerializer(serializers.ModelSerializer):
    team_name = serializers.CharField(source="team.name", read_only=True, default=None)
    summary = serializers.JSONField(read_only=True, help_text="What changed; secret values are [redacted].")

    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "created",
            "actor",
            "actor_name",
            "team",
            "team_name",
            "action",
            "target_type",
            "target_id",
            "target_repr",
            "source_ip",
            "summary",
        ]
        read_only_fields = fields
