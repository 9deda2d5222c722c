"""Access policy of every audit URL (format: apps/accounts/url_policy.py)."""

from apps.accounts.url_policy import LISTING, TEAM

POLICIES = {
    "audit:list": LISTING(obj="audit-entry"),
    "audit-list": LISTING(obj="audit-entry"),
    "audit-detail": TEAM("audit-entry"),
}
