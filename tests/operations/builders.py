"""Matrix builders of operations (format: tests/support/matrix.py)."""

from django.utils import timezone

from apps.operations.models import Operation, Status


def _operation(ctx, **fields) -> Operation:
    marker = ctx.unique("op-target")
    return Operation.objects.create(
        kind="apply",
        team=ctx.team,
        target_type="project",
        target_id="0",
        target_repr=marker,
        params={"namespace": marker, "services": []},
        **fields,
    )


def operation(ctx):
    op = _operation(ctx)
    return {"pk": op.pk, "_marker": op.target_repr}


def finished_operation(ctx):
    op = _operation(ctx, status=Status.FAILED, explanation="matrix probe", finished=timezone.now())
    return {"pk": op.pk, "_marker": op.target_repr}


BUILDERS = {"operation": operation, "finished-operation": finished_operation}
