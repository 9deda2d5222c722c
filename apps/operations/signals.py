"""Signals of the operations app.

operation_finished(sender=Operation, operation, status, explanation, result)
    Sent INSIDE the transaction that ends an operation (succeeded, failed or cancelled), after its status and
    result are written, so a receiver's change (e.g. "this revision is now deployed") commits with it. The
    receivers run in a savepoint: one that raises is logged and undone, and the operation still ends.
"""

from django.dispatch import Signal

operation_finished = Signal()
