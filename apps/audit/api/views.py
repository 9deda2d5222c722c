from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.response import Response

from ..filters import AuditFilter
from ..models import AuditEntry
from ..selectors import audit_entries, audit_entry_get
from .serializers import AuditEntrySerializer


@extend_schema_view(
    list=extend_schema(summary="Audit entries of the teams you are a member of (all for superusers), newest first."),
    retrieve=extend_schema(summary="One audit entry."),
)
class AuditEntryViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = AuditEntrySerializer
    filterset_class = AuditFilter
    queryset = AuditEntry.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return AuditEntry.objects.none()
        return audit_entries(self.request.user)

    def retrieve(self, request, pk=None):
        return Response(self.get_serializer(audit_entry_get(request.user, pk)).data)
