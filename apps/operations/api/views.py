"""/api/v1/operations/: list, detail, events (?after=N), cancel and retry (both answer 202)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.accounts.permissions import Action
from apps.core.errors import ValidationFailed

from .. import selectors, services
from ..models import Operation
from ..responses import OperationAcceptedSerializer, accepted
from .serializers import OperationDetailSerializer, OperationEventSerializer, OperationSerializer

EVENTS = inline_serializer(
    "OperationEvents",
    {
        "results": OperationEventSerializer(many=True),
        "last": serializers.IntegerField(),
        "status": serializers.CharField(),
        "progress": serializers.IntegerField(),
        "finished": serializers.BooleanField(),
    },
)


@extend_schema(
    parameters=[OpenApiParameter(name, OpenApiTypes.STR, description=f"filter by {name}") for name in selectors.FILTERS]
)
class OperationViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = OperationSerializer
    queryset = Operation.objects.none()
    filter_backends: list = []

    def get_queryset(self):
        filters = {key: self.request.query_params.get(key) for key in selectors.FILTERS}
        return selectors.operations_visible(self.request.user, filters)

    def get_object(self):
        return selectors.operation_get(self.request.user, self.kwargs["pk"])

    def get_serializer_class(self):
        return OperationDetailSerializer if self.action == "retrieve" else OperationSerializer

    @extend_schema(
        parameters=[OpenApiParameter("after", OpenApiTypes.INT, description="only events after this sequence")],
        responses=EVENTS,
    )
    @action(detail=True, methods=["get"])
    def events(self, request, pk=None, format=None):
        op = self.get_object()
        raw = request.query_params.get("after", "0") or "0"
        if not raw.isdigit():
            raise ValidationFailed("after must be a sequence number (0 or more)", field="after")
        events = selectors.events_after(op, int(raw))
        last = events[-1].seq if events else int(raw)
        return Response(
            {
                "results": OperationEventSerializer(events, many=True).data,
                "last": last,
                "status": op.status,
                "progress": op.progress,
                "finished": not op.active,
            }
        )

    @extend_schema(request=None, responses={202: OperationAcceptedSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None, format=None):
        op = selectors.operation_get(request.user, pk, Action.OPERATE)
        op = services.operation_cancel(request.user, op)
        return accepted(op, request)

    @extend_schema(request=None, responses={202: OperationAcceptedSerializer})
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None, format=None):
        op = selectors.operation_get(request.user, pk, Action.OPERATE)
        new = services.operation_retry(request.user, op)
        return accepted(new, request)
