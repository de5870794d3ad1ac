"""Rate limits hold across gunicorn workers when they share Redis (REDIS_URL), as in production."""
import os

import pytest
import redis

from testapp import IN_CI, database_url, make_test_app

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_url(app):
    """A Redis database for the test, emptied before and after; CI refuses to run without it."""
    try:
        client = redis.Redis.from_url(REDIS_URL)
        client.ping()
    except redis.exceptions.ConnectionError:
        if IN_CI:
            pytest.fail(f"Redis is not reachable at {REDIS_URL}")
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    client.flushdb()
    yield REDIS_URL
    client.flushdb()
    from extensions import limiter

    limiter.init_app(app)  # one limiter per process: give the other tests back their in-memory counters


@pytest.mark.no_db_transaction
def test_two_workers_sharing_redis_count_questions_from_one_address_together(tmp_path, redis_url):
    from accounts.models import Topic
    from extensions import db

    url = database_url(tmp_path, "portal_limits")
    first = make_test_app(url, RATELIMIT_STORAGE_URI=redis_url)
    second = make_test_app(url, RATELIMIT_STORAGE_URI=redis_url)
    with first.app_context():
        db.session.add(Topic(slug="dat-dai", name="Đất đai"))
        db.session.commit()
        topic_id = db.session.scalar(db.select(Topic.id))
        db.session.remove()

    def ask(app, n):
        return app.test_client().post("/hoi-dap/dat-cau-hoi", data={
            "title": f"Câu hỏi số {n} về đất đai", "body": "Xin hỏi thời hạn cấp giấy chứng nhận là bao lâu ạ?",
            "topic": topic_id, "agency": 0, "name": "Người hỏi", "email": f"nguoi{n}@example.vn",
            "idempotency_key": f"key-{n}"})

    statuses = [ask(app, n).status_code for n, app in enumerate([first, second, first, second])]
    assert statuses == [302, 302, 302, 429]
    assert redis.Redis.from_url(redis_url).keys("LIMITS*"), "the counters live in Redis, not in one process"
    with first.app_context():
        db.engine.dispose()
