"""Keeps the current request's source address for the audit log, and turns Davit's errors raised by a page
into a page with the sentence and the right status (403, 404, 409, 503 ...) instead of a 500."""

from contextvars import ContextVar

from django.http import JsonResponse
from django.shortcuts import render

source_ip: ContextVar[str | None] = ContextVar("davit_source_ip", default=None)


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR")


def _wants_json(request) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = source_ip.set(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            source_ip.reset(token)

    def process_exception(self, request, exception):
        from apps.swarm.errors import SwarmError

        from .errors import DavitError

        if not isinstance(exception, DavitError | SwarmError):
            return None
        status, code, message = exception.status, exception.code, exception.message
        if _wants_json(request):
            return JsonResponse({"detail": message, "code": code}, status=status)
        context = {"status": status, "code": code, "message": message}
        return render(request, "core/error.html", context, status=status)
