from celery import shared_task

from .models import Cluster
from .services import cluster_refresh


@shared_task(name="clusters.refresh_all", ignore_result=True)
def refresh_all() -> None:
    for cluster in Cluster.objects.all():
        cluster_refresh(cluster)
