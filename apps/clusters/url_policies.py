"""Who may call each URL of the clusters app (pages and API); see apps/accounts/url_policy.py."""

from apps.accounts.permissions import Action
from apps.accounts.url_policy import DISABLED, LISTING, TEAM

V, OP, A = Action.VIEW, Action.OPERATE, Action.ADMIN

POLICIES = {
    # the Django admin shows clusters and node engines read-only: writes go through the audited services
    "admin:clusters_*_add": DISABLED(obj="admin"),
    "admin:clusters_*_delete": DISABLED(obj="admin"),
    # pages ---------------------------------------------------------------------------------------------
    "clusters:list": LISTING(obj="cluster"),
    "clusters:create": LISTING("GET", "POST", read=A, write=A, body="cluster-register-form"),
    "clusters:networks-all": LISTING(obj="cluster"),
    "clusters:secrets-all": LISTING(obj="cluster"),
    "clusters:detail": TEAM("cluster"),
    "clusters:edit": TEAM("cluster", "GET", "POST", read=A, write=A),
    "clusters:remove": TEAM("cluster", "GET", "POST", read=A, write=A),
    "clusters:refresh": TEAM("cluster", "POST", write=OP),
    "clusters:node": TEAM("node"),
    "clusters:node-update": TEAM("node", "POST", write=OP, body="node-label-form"),
    "clusters:node-remove": TEAM("node", "POST", write=OP),
    "clusters:join": TEAM("cluster", "GET", "POST", read=A, write=A),
    "clusters:join-rotate": TEAM("cluster", "POST", write=A),
    "clusters:engines": TEAM("cluster", "GET", "POST", read=V, write=A),
    "clusters:engine-remove": TEAM("engine", "POST", write=A),
    "clusters:networks": TEAM("cluster", "GET", "POST", read=V, write=OP),
    "clusters:network-remove": TEAM("network", "POST", write=OP),
    "clusters:volumes": TEAM("cluster", "GET", "POST", read=V, write=OP),
    "clusters:volume-remove": TEAM("volume", "POST", write=OP),
    "clusters:secrets": TEAM("cluster", "GET", "POST", read=V, write=OP),
    "clusters:secret-remove": TEAM("secret", "POST", write=OP),
    "clusters:secret-rotate": TEAM("secret", "POST", write=OP),
    "clusters:configs": TEAM("cluster", "GET", "POST", read=V, write=OP),
    "clusters:config-remove": TEAM("config", "POST", write=OP),
    "clusters:config-rotate": TEAM("config", "POST", write=OP),
    # API -----------------------------------------------------------------------------------------------
    "cluster-list": LISTING("GET", "POST", write=A, body="cluster-register", obj="cluster"),
    "cluster-detail": TEAM("cluster", "GET", "PATCH", "DELETE", write=A),
    "cluster-refresh": TEAM("cluster", "POST", write=OP),
    "cluster-nodes": TEAM("cluster"),
    "cluster-node": TEAM("node", "GET", "PATCH", "DELETE", write=OP, body="node-patch"),
    "node-detail": TEAM("node", "GET", "PATCH", "DELETE", write=OP, body="node-patch"),
    "cluster-join": TEAM("cluster", "GET", "POST", read=A, write=A),
    "cluster-join-rotate": TEAM("cluster", "POST", write=A),
    "cluster-engines": TEAM("cluster", "GET", "POST", read=V, write=A),
    "cluster-engine": TEAM("engine", "GET", "DELETE", write=A),
    "cluster-networks": TEAM("cluster", "GET", "POST", write=OP),
    "cluster-network": TEAM("network", "GET", "DELETE", write=OP),
    "cluster-volumes": TEAM("cluster", "GET", "POST", write=OP),
    "cluster-volume": TEAM("volume", "DELETE", write=OP),
    "cluster-secrets": TEAM("cluster", "GET", "POST", write=OP),
    "cluster-secret": TEAM("secret", "GET", "DELETE", write=OP),
    "cluster-secret-rotate": TEAM("secret", "POST", write=OP),
    "cluster-configs": TEAM("cluster", "GET", "POST", write=OP),
    "cluster-config": TEAM("config", "GET", "DELETE", write=OP),
    "cluster-config-rotate": TEAM("config", "POST", write=OP),
}
