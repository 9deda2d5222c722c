"""Navigation of the whole portal: an area appears once its page exists (its URL name resolves)."""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

AREAS = [
    ("dashboard", _("Dashboard"), "dashboard"),
    ("projects", _("Projects"), "projects:list"),
    ("services", _("Services"), "projects:services"),
    ("catalog", _("Catalog"), "catalog:list"),
    ("clusters", _("Clusters and nodes"), "clusters:list"),
    ("networks", _("Networks"), "clusters:networks-all"),
    ("secrets", _("Secrets and configs"), "clusters:secrets-all"),
    ("registries", _("Registries"), "registries:list"),
    ("operations", _("Operations"), "operations:list"),
    ("audit", _("Audit"), "audit:list"),
    ("teams", _("Teams"), "accounts:teams"),
]


def navigation(request):
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {"nav_areas": []}
    areas = []
    path = request.path
    for key, label, name in AREAS:
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        active = path == url if url == "/" else path.startswith(url)
        areas.append({"key": key, "label": label, "url": url, "active": active})
    return {"nav_areas": areas}
