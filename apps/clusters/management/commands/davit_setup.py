"""Set-up used by `make run`/`make test`: admin user, default team, and the lab (or given) swarm as a cluster."""

import os
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from apps.accounts.models import Membership, Role, Team
from apps.audit.services import record
from apps.clusters.models import Cluster
from apps.clusters.services import cluster_refresh, cluster_register
from apps.core.errors import DavitError


class Command(BaseCommand):
    help = "Create the admin user and the default team, and register the swarm as a cluster (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--swarm-url", default=os.environ.get("DAVIT_SWARM_URL") or os.environ.get("DOCKER_HOST"))
        parser.add_argument("--cluster-name", default=os.environ.get("DAVIT_CLUSTER_NAME", "lab"))

    def handle(self, *args, swarm_url=None, cluster_name="lab", **options):
        User = get_user_model()
        username = os.environ.get("DAVIT_ADMIN_USER", "admin")
        password = os.environ.get("DAVIT_ADMIN_PASSWORD")
        with transaction.atomic():
            admin = User.objects.filter(username=username).first()
            if admin is None:
                generated = password is None
                password = password or secrets.token_urlsafe(12)
                admin = User.objects.create_superuser(username=username, email="", password=password)
                record(None, "user.create", admin, summary={"superuser": True})
                shown = password if generated else "(from DAVIT_ADMIN_PASSWORD)"
                self.stdout.write(f"Admin user {username!r} created; password: {shown}")
                if generated:
                    self.stdout.write("This password is shown once; change it on your profile page.")
            elif password and not admin.check_password(password):
                admin.set_password(password)
                admin.save(update_fields=["password"])
                record(None, "user.password_reset", admin, summary={"reason": "DAVIT_ADMIN_PASSWORD given"})
            team, created = Team.objects.get_or_create(name="default", defaults={"description": "Created by set-up."})
            if created:
                record(None, "team.create", team, summary={"name": team.name, "by": "set-up"})
            membership, joined = Membership.objects.get_or_create(team=team, user=admin, defaults={"role": Role.ADMIN})
            if joined:
                record(None, "member.add", membership, team=team, summary={"user": username, "role": Role.ADMIN})
        if not swarm_url:
            self.stdout.write("No swarm endpoint given (DAVIT_SWARM_URL / DOCKER_HOST): no cluster registered.")
            return
        cluster = Cluster.objects.filter(endpoint_url=swarm_url).first()
        if cluster is not None:
            cluster_refresh(cluster)
            state = f"reachable, {cluster.node_count} nodes" if cluster.reachable else cluster.last_error
            self.stdout.write(f"Cluster {cluster.name!r} at {swarm_url}: {state}")
            return
        name = cluster_name
        if Cluster.objects.filter(name=name).exists():
            name = f"{cluster_name}-{secrets.token_hex(3)}"
        try:
            cluster = cluster_register(None, team=team, name=name, endpoint_url=swarm_url)
        except DavitError as exc:
            self.stderr.write(f"The swarm at {swarm_url} was not registered: {exc.message}")
            return
        self.stdout.write(f"Cluster {cluster.name!r} registered: {cluster.node_count} nodes, team 'default'")
