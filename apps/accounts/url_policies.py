"""Access policy of every accounts URL (format: apps/accounts/url_policy.py)."""

from .permissions import Action
from .url_policy import AUTHENTICATED, LISTING, ONLY_SUPERUSER, OWN, PUBLIC, SUPERUSER, TEAM

POLICIES = {
    # pages
    "accounts:login": PUBLIC("GET", "POST"),
    "accounts:logout": PUBLIC("POST"),
    "accounts:password-change": AUTHENTICATED("GET", "POST"),
    "accounts:password-change-done": AUTHENTICATED(),
    "accounts:profile": AUTHENTICATED(),
    "accounts:token-create": AUTHENTICATED("POST"),
    "accounts:token-revoke": OWN("token", "POST"),
    "accounts:teams": LISTING(obj="team"),
    "accounts:team-create": SUPERUSER("POST"),
    "accounts:team-detail": TEAM("team"),
    "accounts:team-update": TEAM("team", "POST", write=Action.ADMIN),
    "accounts:member-add": TEAM("team", "POST", write=Action.ADMIN, body="new-member"),
    "accounts:member-change": TEAM("membership", "POST", write=Action.ADMIN),
    "accounts:member-remove": TEAM("membership", "POST", write=Action.ADMIN),
    # API
    "auth-token": PUBLIC("POST"),
    "token-list": AUTHENTICATED("GET", "POST"),
    "token-detail": OWN("token", "GET", "DELETE"),
    "token-revoke": OWN("token", "POST"),
    "team-list": LISTING("GET", "POST", obj="team", write=ONLY_SUPERUSER),
    "team-detail": TEAM("team", "GET", "PATCH", write=Action.ADMIN),
    "team-member-list": TEAM("team", "GET", "POST", write=Action.ADMIN, body="new-member"),
    "team-member-detail": TEAM("membership", "GET", "PATCH", "DELETE", write=Action.ADMIN),
}
