"""WebSocket routes collected from each app's `routing.websocket_urlpatterns` (terminal, live logs)."""

from importlib import import_module

from django.conf import settings

websocket_urlpatterns = []
for _app in settings.INSTALLED_APPS:
    if _app.startswith("apps."):
        try:
            _module = import_module(f"{_app}.routing")
        except ModuleNotFoundError as exc:
            if exc.name != f"{_app}.routing":
                raise
            continue
        websocket_urlpatterns += _module.websocket_urlpatterns
