"""Root URLs. Each app's pages (apps/<app>/urls.py, with app_name) mount at /<app>/ and its API
(apps/<app>/api/urls.py, `urlpatterns`) under /api/v1/; both are found by discovery so apps stay self-contained."""

from importlib import import_module

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from apps.core import views as core_views

from . import health


def _discover(module_name: str):
    for app in settings.INSTALLED_APPS:
        if not app.startswith("apps."):
            continue
        try:
            module = import_module(f"{app}.{module_name}")
        except ModuleNotFoundError as exc:
            if exc.name not in (f"{app}.{module_name}", f"{app}.{module_name.split('.')[0]}"):
                raise
            continue
        yield app.split(".", 1)[1], module


api_patterns = [path("", include(module.urlpatterns)) for _, module in _discover("api.urls")]
page_patterns = [
    path(f"{getattr(module, 'url_prefix', label)}/", include(module)) for label, module in _discover("urls")
]

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("", core_views.dashboard, name="dashboard"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include(api_patterns)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    *page_patterns,
]
