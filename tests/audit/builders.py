"""Matrix builders of audit objects (format: tests/support/matrix.py)."""

from apps.audit.models import AuditEntry


def audit_entry(ctx):
    marker = ctx.unique("probe")
    entry = AuditEntry.objects.create(
        team=ctx.team, actor_name="system", action="matrix.probe", target_type="probe", target_repr=marker
    )
    return {"pk": entry.pk, "_marker": marker}


BUILDERS = {"audit-entry": audit_entry}
