"""Keeps the current request's source address for the audit log."""

from contextvars import ContextVar

source_ip: ContextVar[str | None] = ContextVar("davit_source_ip", default=None)


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR")


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = source_ip.set(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            source_ip.reset(token)
