"""Cluster writes: register (checked), refresh facts."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from apps.accounts.permissions import Action, require
from apps.audit.services import record
from apps.core.errors import Conflict, ValidationFailed
from apps.swarm.endpoint import Endpoint, EndpointError
from apps.swarm.errors import SwarmError

from .models import Cluster
from .swarm import swarm_for


def _facts_from(endpoint: Endpoint) -> dict:
    from apps.swarm.client import SwarmClient

    client = SwarmClient(endpoint)
    try:
        facts = client.swarm_facts()
    finally:
        client.close()
    return facts


def cluster_register(
    actor, *, team, name: str, endpoint_url: str, tls_ca: str = "", tls_cert: str = "", tls_key: str = "",
    description: str = "",
) -> Cluster:
    """Check that the endpoint answers and is a swarm manager, then record the cluster."""
    require(actor, team, Action.ADMIN, "this team")
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("a cluster needs a name", field="name")
    endpoint = Endpoint(url=endpoint_url.strip(), ca_pem=tls_ca, cert_pem=tls_cert, key_pem=tls_key, timeout=10)
    try:
        endpoint.check()
    except EndpointError as exc:
        raise ValidationFailed(str(exc), field="endpoint_url")
    try:
        facts = _facts_from(endpoint)
    except SwarmError as exc:
        raise ValidationFailed(str(exc), field="endpoint_url")
    with transaction.atomic():
        require(actor, team, Action.ADMIN, "this team")
        if Cluster.objects.filter(name=name).exists():
            raise Conflict(f"a cluster named {name!r} already exists", field="name")
        cluster = Cluster.objects.create(
            name=name, team=team, description=description, endpoint_url=endpoint.url,
            tls_ca=tls_ca, tls_cert=tls_cert, tls_key=tls_key,
            reachable=True, swarm_id=facts["swarm_id"], node_count=facts["nodes"], manager_count=facts["managers"],
            engine_version=facts["engine_version"], last_check=timezone.now(),
        )
        record(actor, "cluster.register", cluster, summary={"endpoint": endpoint.url, "tls": endpoint.tls})
    return cluster


def cluster_refresh(cluster: Cluster) -> Cluster:
    """Re-check the endpoint and store the facts (no audit: it is an observation, not a decision)."""
    try:
        facts = swarm_for(cluster).swarm_facts()
    except SwarmError as exc:
        values = {"reachable": False, "last_error": str(exc), "last_check": timezone.now()}
    else:
        values = {
            "reachable": True, "swarm_id": facts["swarm_id"], "node_count": facts["nodes"],
            "manager_count": facts["managers"], "engine_version": facts["engine_version"],
            "last_error": "", "last_check": timezone.now(),
        }
    Cluster.objects.filter(pk=cluster.pk).update(**values)
    for key, value in values.items():
        setattr(cluster, key, value)
    return cluster
