"""The one way from a Cluster row to its SwarmClient."""

from apps.swarm.client import SwarmClient, client_for


def swarm_for(cluster) -> SwarmClient:
    return client_for(cluster.endpoint)
