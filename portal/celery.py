"""The Celery app. Tasks are thin entry points that receive ids only and call services."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("davit")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.conf.beat_schedule = {
    "refresh-clusters": {"task": "clusters.refresh_all", "schedule": 60.0},
    "reap-operations": {"task": "operations.reap", "schedule": 20.0},
}
