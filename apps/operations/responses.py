"""`accepted(op, request)`: the one answer of every API write that starts long work (HTTP 202), and its shape for
the API documentation (`OperationAcceptedSerializer`)."""

from django.urls import reverse
from rest_framework import serializers, status
from rest_framework.response import Response


def operation_ref(op, request=None) -> dict:
    url = reverse("operation-detail", args=[op.pk])
    page_url = reverse("operations:detail", args=[op.pk])
    if request is not None:
        url, page_url = request.build_absolute_uri(url), request.build_absolute_uri(page_url)
    return {"id": op.pk, "status": op.status, "url": url, "page_url": page_url}


def accepted(op, request=None, **extra) -> Response:
    """202 with {"operation": {"id", "status", "url", "page_url"}} (plus any extra top-level keys)."""
    return Response({"operation": operation_ref(op, request), **extra}, status=status.HTTP_202_ACCEPTED)


class OperationRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    url = serializers.URLField()
    page_url = serializers.URLField()


class OperationAcceptedSerializer(serializers.Serializer):
    """What `accepted()` answers (documentation only)."""

    operation = OperationRefSerializer()
