"""Operations: every long action is a row a person can watch, cancel and retry; its events are append-only.

PostgreSQL is the truth. A status moves only through `apps.operations.services.transition` (an UPDATE guarded by
the expected current status). Locks: an operation holds one OperationLock row per lock key while it runs; the
unique key makes PostgreSQL refuse a second holder, and the rows go in the same transaction that ends the run.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from apps.core.fields import EncryptedTextField


class Status(models.TextChoices):
    PENDING = "pending", _("pending")
    RUNNING = "running", _("running")
    SUCCEEDED = "succeeded", _("succeeded")
    FAILED = "failed", _("failed")
    CANCELLED = "cancelled", _("cancelled")


ACTIVE = (Status.PENDING, Status.RUNNING)
FINISHED = (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED)

# The only legal moves; anything else is refused by services.transition().
TRANSITIONS: dict[str, tuple[str, ...]] = {
    Status.PENDING: (Status.RUNNING, Status.CANCELLED, Status.FAILED),
    Status.RUNNING: (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED),
    Status.SUCCEEDED: (),
    Status.FAILED: (),
    Status.CANCELLED: (),
}

# Pages of the objects an operation works on, by target_type; a link appears once that page exists.
TARGET_URL_NAMES = {
    "project": "projects:detail",
    "cluster": "clusters:detail",
    "service": "projects:service",
    "template": "catalog:detail",
    "hook": "webhooks:detail",
    "node": "clusters:node",
    "registry": "registries:detail",
}


class Operation(models.Model):
    kind = models.CharField(_("kind"), max_length=64, db_index=True)
    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="operations")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="operations"
    )
    target_type = models.CharField(_("target type"), max_length=64, blank=True)
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    target_repr = models.CharField(_("target"), max_length=200, blank=True)
    cluster = models.ForeignKey(
        "clusters.Cluster", null=True, blank=True, on_delete=models.SET_NULL, related_name="operations"
    )
    params = models.JSONField(_("parameters"), default=dict, blank=True, help_text="Never holds secrets.")
    sealed = EncryptedTextField(blank=True, default="", help_text="JSON of the secrets the runner needs; never shown.")
    required_action = models.PositiveSmallIntegerField(
        default=2, help_text="The Action (2 operate, 3 administer) needed on the team to cancel or retry it."
    )

    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)
    explanation = models.TextField(_("explanation"), blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)
    cancel_requested = models.BooleanField(_("cancel requested"), default=False)

    lock_key = models.CharField(  # noqa: DJ001 - NULL = no lock (the partial unique index ignores NULLs)
        _("lock"), max_length=200, null=True, blank=True, db_index=True
    )
    lock_keys = ArrayField(models.CharField(max_length=200), default=list, blank=True)
    worker = models.CharField(_("worker"), max_length=255, blank=True)
    heartbeat = models.DateTimeField(null=True, blank=True)
    dispatched = models.DateTimeField(null=True, blank=True, help_text="When its id was last handed to Celery.")
    event_seq = models.PositiveIntegerField(default=0, help_text="Sequence number of the last event.")

    created = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    started = models.DateTimeField(_("started"), null=True, blank=True)
    finished = models.DateTimeField(_("finished"), null=True, blank=True)
    retry_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="retries")

    team_path = "team"

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [
            models.Index(fields=["status", "created"]),
            models.Index(fields=["target_type", "target_id"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["lock_key"], condition=Q(status="running"), name="operation_one_running_per_lock_key"
            ),
            models.CheckConstraint(condition=Q(progress__lte=100), name="operation_progress_at_most_100"),
        ]

    def __str__(self) -> str:
        target = f" {self.target_repr}" if self.target_repr else ""
        return f"#{self.pk} {self.kind}{target}"

    def get_absolute_url(self) -> str:
        return reverse("operations:detail", args=[self.pk])

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def finished_ok(self) -> bool:
        return self.status == Status.SUCCEEDED

    def sealed_dict(self) -> dict:
        return json.loads(self.sealed) if self.sealed else {}

    def target_url(self) -> str | None:
        name = TARGET_URL_NAMES.get(self.target_type)
        if not name or not self.target_id:
            return None
        try:
            return reverse(name, args=[self.target_id])
        except NoReverseMatch:
            return None

    @property
    def duration(self):
        if self.started and self.finished:
            return self.finished - self.started
        return None


class OperationLock(models.Model):
    """One row per lock key held by a running operation. PostgreSQL's unique key is the lock."""

    key = models.CharField(max_length=200, unique=True)
    operation = models.ForeignKey(Operation, on_delete=models.CASCADE, related_name="locks")
    acquired = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.key} held by operation {self.operation_id}"


class Level(models.TextChoices):
    DEBUG = "debug", _("debug")
    INFO = "info", _("info")
    WARNING = "warning", _("warning")
    ERROR = "error", _("error")


class OperationEvent(models.Model):
    """Append-only (a PostgreSQL trigger refuses UPDATE): the operation's log, one row per step or progress."""

    operation = models.ForeignKey(Operation, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveIntegerField(_("sequence"))
    time = models.DateTimeField(_("time"), auto_now_add=True)
    level = models.CharField(_("level"), max_length=8, choices=Level.choices, default=Level.INFO)
    message = models.TextField(_("message"))
    data = models.JSONField(_("data"), default=dict, blank=True)

    team_path = "operation__team"

    class Meta:
        ordering = ["operation", "seq"]
        constraints = [models.UniqueConstraint(fields=["operation", "seq"], name="operation_event_seq_unique")]

    def __str__(self) -> str:
        return f"#{self.operation_id}.{self.seq} {self.level}: {self.message}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("operation events are append-only")
        super().save(*args, **kwargs)
