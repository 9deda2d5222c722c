"""A cluster: a swarm reached through one manager endpoint, with the live facts of its last check."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.fields import EncryptedTextField
from apps.swarm.endpoint import Endpoint


class EngineAccess:
    """How a row with `endpoint_url` and TLS material (a cluster, a node's engine) reaches its Docker engine."""

    @property
    def endpoint(self) -> Endpoint:
        from django.conf import settings

        return Endpoint(
            url=self.endpoint_url,
            ca_pem=self.tls_ca,
            cert_pem=self.tls_cert,
            key_pem=self.tls_key,
            timeout=settings.DAVIT_SWARM_TIMEOUT,
        )

    @property
    def uses_tls(self) -> bool:
        return bool(self.tls_ca or self.tls_cert)


class Cluster(EngineAccess, models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="clusters")
    description = models.TextField(_("description"), blank=True)
    endpoint_url = models.CharField(
        _("endpoint"),
        max_length=300,
        help_text=_("unix:///path/docker.sock, tcp://host:2375 or tcp://host:2376 with TLS"),
    )
    tls_ca = models.TextField(_("TLS CA certificate"), blank=True)
    tls_cert = models.TextField(_("TLS client certificate"), blank=True)
    tls_key = EncryptedTextField(_("TLS client key"), blank=True)
    created = models.DateTimeField(auto_now_add=True)

    # live facts, refreshed by a check (beat every minute)
    reachable = models.BooleanField(default=False)
    swarm_id = models.CharField(max_length=64, blank=True)
    node_count = models.PositiveIntegerField(default=0)
    manager_count = models.PositiveIntegerField(default=0)
    engine_version = models.CharField(max_length=40, blank=True)
    manager_node_id = models.CharField(max_length=64, blank=True, help_text=_("The node the endpoint reaches."))
    last_check = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    team_path = "team"
    FACTS = (
        "reachable",
        "swarm_id",
        "node_count",
        "manager_count",
        "engine_version",
        "manager_node_id",
        "last_check",
        "last_error",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class NodeEngine(EngineAccess, models.Model):
    """The Docker engine of one node of a cluster, for per-node work (volumes) and for adding a host.

    Recorded by the add-host operation (node_id filled once the engine has joined) or registered by an admin.
    The manager the cluster endpoint reaches needs no row: its engine is the cluster endpoint itself.
    """

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="engines")
    node_id = models.CharField(_("node id"), max_length=64, blank=True)
    hostname = models.CharField(_("hostname"), max_length=200, blank=True)
    endpoint_url = models.CharField(
        _("engine endpoint"),
        max_length=300,
        help_text=_("unix:///path/docker.sock, tcp://host:2375 or tcp://host:2376 with TLS"),
    )
    tls_ca = models.TextField(_("TLS CA certificate"), blank=True)
    tls_cert = models.TextField(_("TLS client certificate"), blank=True)
    tls_key = EncryptedTextField(_("TLS client key"), blank=True)
    created = models.DateTimeField(auto_now_add=True)

    team_path = "cluster__team"

    class Meta:
        ordering = ["cluster__name", "hostname", "endpoint_url"]
        constraints = [
            models.UniqueConstraint(fields=["cluster", "endpoint_url"], name="node_engine_once_per_cluster"),
        ]

    def __str__(self) -> str:
        return f"{self.hostname or self.node_id[:12] or '?'} ({self.endpoint_url})"

    @property
    def team(self):
        return self.cluster.team
