"""Signals of the operations machinery, for apps that act when their work ends (no import of those apps here).

`operation_finished(sender=Operation, operation=op, status=...)` is sent by services.operation_finish INSIDE the
transaction that ends the operation, so a receiver's writes (e.g. a project's deployed revision after a succeeded
apply) commit together with the final status, or not at all.
"""

from django.dispatch import Signal

operation_finished = Signal()
