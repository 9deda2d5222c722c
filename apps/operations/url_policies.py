"""Access policy of every operations URL (pages and API); see apps/accounts/url_policy.py."""

from apps.accounts.permissions import Action
from apps.accounts.url_policy import LISTING, TEAM

POLICIES = {
    # pages
    "operations:list": LISTING(),
    "operations:detail": TEAM("operation"),
    "operations:stream": TEAM("operation"),
    "operations:live": TEAM("operation"),
    "operations:cancel": TEAM("operation", "POST", write=Action.OPERATE),
    "operations:retry": TEAM("finished-operation", "POST", write=Action.OPERATE),
    # API
    "operation-list": LISTING(obj="operation"),
    "operation-detail": TEAM("operation"),
    "operation-events": TEAM("operation"),
    "operation-cancel": TEAM("operation", "POST", write=Action.OPERATE),
    "operation-retry": TEAM("finished-operation", "POST", write=Action.OPERATE),
}
