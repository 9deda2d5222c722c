"""Projects (a stack on one cluster, owned by a team), their numbered revisions, and each team's policy."""

from __future__ import annotations

import json
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.fields import EncryptedTextField

# A stack namespace: the swarm names the stack's objects NAME_key, and each must be a DNS label of at most
# 63 characters (letters, digits, '-' and '_', starting and ending with a letter or digit).
NAME_PATTERN = re.compile(r"^[a-zA-Z0-9](?:[-_]*[a-zA-Z0-9]+)*$")
NAME_MAX = 40


def validate_stack_name(value: str) -> None:
    if not value or len(value) > NAME_MAX or not NAME_PATTERN.match(value):
        raise ValidationError(
            _(
                "%(name)r is not a valid stack name: use at most %(max)d letters, digits, '-' or '_', "
                "starting and ending with a letter or digit"
            ),
            params={"name": value, "max": NAME_MAX},
            code="invalid",
        )


class TeamPolicy(models.Model):
    """What a team's revisions may ask of the swarm. Everything dangerous is off until a team admin allows it."""

    team = models.OneToOneField("accounts.Team", on_delete=models.CASCADE, related_name="policy")
    allow_bind_mounts = models.BooleanField(_("allow bind mounts"), default=False)
    allow_capabilities = models.BooleanField(_("allow added capabilities"), default=False)
    allow_host_network = models.BooleanField(_("allow host networking"), default=False)
    allow_privileged = models.BooleanField(
        _("allow privileged-like options"),
        default=False,
        help_text=_("unconfined seccomp or AppArmor, SELinux disabled, host devices, plugins, host sysctls"),
    )
    updated = models.DateTimeField(auto_now=True)

    team_path = "team"
    FLAGS = ("allow_bind_mounts", "allow_capabilities", "allow_host_network", "allow_privileged")

    class Meta:
        verbose_name = _("team policy")
        verbose_name_plural = _("team policies")

    def __str__(self) -> str:
        return f"policy of {self.team}"

    @classmethod
    def for_team(cls, team) -> TeamPolicy:
        """The team's policy, or the default (all off) when the team never set one."""
        team_id = team.pk if hasattr(team, "pk") else team
        return cls.objects.filter(team_id=team_id).first() or cls(team_id=team_id)

    def allowed(self) -> set[str]:
        """Categories of apps.swarm.policy this policy allows."""
        from apps.swarm import policy

        mapping = {
            "allow_bind_mounts": policy.BIND_MOUNTS,
            "allow_capabilities": policy.CAPABILITIES,
            "allow_host_network": policy.HOST_NETWORK,
            "allow_privileged": policy.PRIVILEGED,
        }
        return {category for flag, category in mapping.items() if getattr(self, flag)}


class Project(models.Model):
    name = models.CharField(_("name"), max_length=NAME_MAX, validators=[validate_stack_name])
    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="projects")
    cluster = models.ForeignKey("clusters.Cluster", on_delete=models.PROTECT, related_name="projects")
    description = models.TextField(_("description"), blank=True)
    variables = models.JSONField(
        _("variables"), default=dict, blank=True, help_text=_("Interpolation variables (not secret).")
    )
    deployed_revision = models.ForeignKey(
        "Revision", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("deployed")
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    team_path = "team"

    class Meta:
        ordering = ["name", "pk"]
        constraints = [models.UniqueConstraint(fields=["cluster", "name"], name="project_name_once_per_cluster")]

    def __str__(self) -> str:
        return self.name

    @property
    def namespace(self) -> str:
        """The stack namespace on the swarm (`com.docker.stack.namespace`)."""
        return self.name

    @property
    def lock_key(self) -> str:
        return f"project:{self.pk}"

    def latest_revision(self) -> Revision | None:
        return self.revisions.order_by("-number").first()


class Origin(models.TextChoices):
    COMPOSE = "compose", _("Compose file")
    WIZARD = "wizard", _("Wizard")
    TEMPLATE = "template", _("Template")
    ROLLBACK = "rollback", _("Rollback")
    BUNDLE = "bundle", _("Bundle")
    ADOPT = "adopt", _("Adopted stack")
    DRIFT = "drift", _("Accepted drift")


class Revision(models.Model):
    """One decision about a project: the source, the files it names, the variables and the specs they give.

    `specs` is the normalized StackPlan as stored (services, networks, secrets and configs without their data,
    externals, volumes); a deploy sends exactly these. The files (env_file, secret and config files) may hold
    secrets: they are sealed at rest and never returned, only their names.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField(_("number"))
    source = models.TextField(_("source"), blank=True)
    files_sealed = EncryptedTextField(_("files"), blank=True, default="")
    # {"secrets": {name: base64}, "configs": {name: base64}}: the data the specs' secrets and configs are made of
    data_sealed = EncryptedTextField(_("secret and config data"), blank=True, default="")
    variables = models.JSONField(_("variables"), default=dict, blank=True)
    specs = models.JSONField(_("specs"), default=dict, blank=True)
    warnings = models.JSONField(_("warnings"), default=list, blank=True)
    origin = models.CharField(_("origin"), max_length=16, choices=Origin.choices, default=Origin.COMPOSE)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.CharField(_("message"), max_length=500, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    team_path = "project__team"

    class Meta:
        ordering = ["project", "-number"]
        constraints = [models.UniqueConstraint(fields=["project", "number"], name="revision_number_once_per_project")]

    def __str__(self) -> str:
        return f"{self.project} #{self.number}"

    @property
    def files(self) -> dict[str, str]:
        """{path: text} of the files uploaded with the revision (may hold secrets: never return them)."""
        return json.loads(self.files_sealed) if self.files_sealed else {}

    @files.setter
    def files(self, value: dict[str, str]) -> None:
        self.files_sealed = json.dumps(value or {}, sort_keys=True) if value else ""

    @property
    def object_data(self) -> dict[str, dict[str, str]]:
        """{"secrets": {name: base64}, "configs": {name: base64}} (secret: never return it)."""
        data = json.loads(self.data_sealed) if self.data_sealed else {}
        return {"secrets": data.get("secrets") or {}, "configs": data.get("configs") or {}}

    @object_data.setter
    def object_data(self, value: dict) -> None:
        value = {k: v for k, v in (value or {}).items() if v}
        self.data_sealed = json.dumps(value, sort_keys=True) if value else ""

    @property
    def file_names(self) -> list[str]:
        return sorted(self.files)

    @property
    def service_names(self) -> list[str]:
        return sorted(self.specs.get("services", {})) if isinstance(self.specs, dict) else []

    @property
    def author_name(self) -> str:
        return self.author.get_username() if self.author else "system"
