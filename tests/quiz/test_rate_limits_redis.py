"""The quiz's rate limits against a real Redis (the production cache): one script per request."""

from __future__ import annotations

import pytest
import redis
from django.test import override_settings

from jinguo.quiz import limits

REDIS_URL = "redis://127.0.0.1:6379/15"


def _redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


pytestmark = pytest.mark.skipif(not _redis_up(), reason="no Redis on 127.0.0.1:6379")


@pytest.fixture
def redis_cache():
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    limits.reset()  # the per-process client follows the cache setting
    with override_settings(
        CACHES={"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    ):
        yield client
    limits.reset()
    client.flushdb()


def test_limits_count_per_bucket_and_expire_with_their_window(redis_cache):
    buckets = [("ip:10.0.0.1", 3), ("phone:13800138000", 1)]
    seen = [limits.over_limits(buckets) for _ in range(4)]
    assert seen == [[False, False], [False, True], [False, True], [True, True]]
    keys = redis_cache.keys("*quiz:rate:*")
    assert len(keys) == 2
    assert all(0 < redis_cache.ttl(key) <= 70 for key in keys)
    assert limits.over_limits([("ip:10.0.0.2", 3)]) == [False]  # another address, its own count
