"""A cluster: a swarm reached through one manager endpoint, with the live facts of its last check."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.fields import EncryptedTextField
from apps.swarm.endpoint import Endpoint


class Cluster(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="clusters")
    description = models.TextField(_("description"), blank=True)
    endpoint_url = models.CharField(
        _("endpoint"), max_length=300, help_text=_("unix:///path/docker.sock, tcp://host:2375 or tcp://host:2376 with TLS")
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
    last_check = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    team_path = "team"
    FACTS = ("reachable", "swarm_id", "node_count", "manager_count", "engine_version", "last_check", "last_error")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

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
