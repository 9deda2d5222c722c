"""Access policy of the root URLs: dashboard, health, the Django admin, the language switch, the API schema
and docs (format: apps/accounts/url_policy.py)."""

from apps.accounts.url_policy import AUTHENTICATED, DISABLED, PUBLIC, SUPERUSER

POLICIES = {
    "dashboard": AUTHENTICATED(),
    "healthz": PUBLIC(),
    "set_language": PUBLIC("POST"),
    "api-schema": PUBLIC(),
    "api-docs": PUBLIC(),
    # the Django admin: superusers only, except its own sign-in and sign-out
    "admin:*": SUPERUSER(obj="admin"),
    "/admin/*": SUPERUSER(obj="admin"),
    "admin:login": PUBLIC(),
    "admin:logout": PUBLIC("POST"),
    "admin:autocomplete": SUPERUSER(obj="admin-autocomplete"),
    # django-axes' own admin offers no add page (attempts are recorded, never typed in)
    "admin:axes_*_add": DISABLED(obj="admin"),
}
