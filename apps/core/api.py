"""API plumbing shared by every app: the exception handler and the router."""

from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from apps.swarm.errors import SwarmError, Unreachable

from .errors import DavitError


def exception_handler(exc, context):
    if isinstance(exc, DavitError):
        body = {"detail": exc.message, "code": exc.code}
        if exc.errors:
            body["errors"] = exc.errors
        return Response(body, status=exc.status)
    if isinstance(exc, Unreachable):
        return Response({"detail": str(exc), "code": "unreachable"}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
    if isinstance(exc, SwarmError):
        return Response({"detail": str(exc), "code": exc.code}, status=exc.status)
    return drf_exception_handler(exc, context)
