"""Celery entry points: they receive ids only and call the runner or services."""

from celery import shared_task

from .runner import execute
from .services import operations_reap


@shared_task(name="operations.run", bind=True, acks_late=True, ignore_result=True)
def run(self, op_id: int) -> str | None:
    return execute(int(op_id), worker=self.request.hostname or "worker")


@shared_task(name="operations.reap", ignore_result=True)
def reap() -> dict:
    return operations_reap()
