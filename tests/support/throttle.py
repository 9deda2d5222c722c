"""Reset DRF's throttle counters (kept in the Redis cache, outside any test transaction)."""

import redis
from django.conf import settings


def clear_throttles() -> None:
    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        keys = list(client.scan_iter(match="*throttle_*", count=500))
        if keys:
            client.delete(*keys)
    finally:
        client.close()
