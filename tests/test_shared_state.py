"""Scale-out: two app processes sharing Redis share the login rate limit (nothing process-local)."""
from __future__ import annotations

import os
import uuid

import pytest

from tracker import create_app
from tracker.extensions import limiter

from .fixtures.app import TrackerClient

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _redis_available() -> bool:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
        return True
    except Exception:
        return False


@pytest.fixture
def redis_apps(database_url):
    """Two independent apps (as two gunicorn workers would be) using one Redis for rate limits."""
    if not _redis_available():
        if os.environ.get("CI"):
            pytest.fail(f"Redis is not reachable at {REDIS_URL}")
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    apps = []
    for _ in range(2):
        app = create_app("testing", {
            "SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_STORAGE_URI": REDIS_URL,
            "RATELIMIT_KEY_PREFIX": prefix, "LOGIN_RATE_LIMIT": "3 per minute",
        })
        app.test_client_class = TrackerClient
        apps.append(app)
    yield apps, prefix
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"*{prefix}*"):
        client.delete(key)


def test_failed_logins_counted_on_one_process_are_refused_on_another(redis_apps, make_user, app):
    import redis

    apps, prefix = redis_apps
    user = make_user("student")
    first, second = (a.test_client() for a in apps)
    try:
        for _ in range(3):
            assert first.login(user.email, "wrong-password").status_code == 200
        # The counters are in Redis (where every gunicorn process and host reads them), not in process memory.
        keys = list(redis.Redis.from_url(REDIS_URL).scan_iter(f"*{prefix}*"))
        assert keys, "no rate-limit counters in Redis"
        # The second "process" has never seen this address or email, yet refuses: the count lives in Redis.
        assert second.login(user.email).status_code == 429
    finally:
        # The shared limiter object is re-bound per app; give the session app its memory storage back.
        limiter.init_app(app)
        limiter.reset()
