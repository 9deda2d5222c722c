"""Who may call each URL of the projects app (pages and API); see apps/accounts/url_policy.py.

Viewers read projects, revisions, diffs, live services and drift; operators create, revise, deploy, roll back,
remove and act on drift; a team's policy is read by its members and changed by its admins.
"""

from apps.accounts.permissions import Action
from apps.accounts.url_policy import LISTING, TEAM

V, OP, A = Action.VIEW, Action.OPERATE, Action.ADMIN

POLICIES = {
    # pages ---------------------------------------------------------------------------------------------
    "projects:list": LISTING(obj="project"),
    "projects:create": LISTING("GET", "POST", read=OP, write=OP, body="new-project-form"),
    "projects:services": LISTING(),
    "projects:policy": TEAM("team-policy", "GET", "POST", read=V, write=A, body="team-policy-form"),
    "projects:detail": TEAM("project"),
    "projects:live": TEAM("project"),
    "projects:revise": TEAM("project", "GET", "POST", read=OP, write=OP, body="project-revision-form"),
    "projects:revision": TEAM("project"),
    "projects:diff": TEAM("project"),
    "projects:deploy": TEAM("project", "POST", write=OP),
    "projects:rollback": TEAM("project", "POST", write=OP, body="project-rollback"),
    "projects:remove": TEAM("project", "GET", "POST", read=OP, write=OP),
    "projects:drift-accept": TEAM("project", "POST", write=OP),
    "projects:import-bundle": LISTING("GET", "POST", read=OP, write=OP, body="new-bundle-form"),
    "projects:stacks": LISTING("GET", "POST", write=OP, body="adopt-stack-form", obj="unowned-stack"),
    "projects:export": TEAM("project"),
    # API -----------------------------------------------------------------------------------------------
    "project-list": LISTING("GET", "POST", write=OP, body="new-project", obj="project"),
    "project-detail": TEAM("project"),
    "project-deploy": TEAM("project", "POST", write=OP),
    "project-rollback": TEAM("project", "POST", write=OP, body="project-rollback"),
    "project-remove": TEAM("project", "POST", write=OP),
    "project-drift": TEAM("project", "GET", "POST", write=OP, body="project-drift-action"),
    "project-revisions": TEAM("project", "GET", "POST", write=OP, body="project-revision"),
    "project-revision": TEAM("project"),
    "project-revision-diff": TEAM("project"),
    "project-import-bundle": LISTING("POST", write=OP, body="new-bundle"),
    "project-adopt": LISTING("POST", write=OP, body="adopt-stack"),
    "project-export": TEAM("project"),
    "cluster-stacks": TEAM("cluster"),
    "team-policy": TEAM("team-policy", "GET", "PATCH", read=V, write=A, body="team-policy-patch"),
}
