from __future__ import annotations

import threading

import pytest

from awsip.aws.ratelimit import TokenBucket


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []
        self._lock = threading.Lock()

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)


def test_a_full_bucket_serves_a_burst_then_makes_callers_wait_their_turn() -> None:
    time = FakeTime()
    bucket = TokenBucket(10, clock=time.clock, sleep=time.sleep)
    waits = [bucket.acquire() for _ in range(13)]
    assert waits[:10] == [0.0] * 10
    # The 11th, 12th and 13th callers reserved the next tokens: 0.1 s, 0.2 s and 0.3 s away.
    assert waits[10:] == pytest.approx([0.1, 0.2, 0.3])
    assert time.slept == pytest.approx([0.1, 0.2, 0.3])
    assert bucket.acquired == 13
    assert bucket.waited_seconds == pytest.approx(0.6)


def test_tokens_refill_with_time_up_to_the_burst() -> None:
    time = FakeTime()
    bucket = TokenBucket(2, burst=2, clock=time.clock, sleep=time.sleep)
    assert [bucket.acquire() for _ in range(2)] == [0.0, 0.0]
    time.now += 0.5  # one token back
    assert bucket.acquire() == 0.0
    assert bucket.acquire() == pytest.approx(0.5)
    time.now += 100  # refills to the burst only
    assert [bucket.acquire() for _ in range(2)] == [0.0, 0.0]
    assert bucket.acquire() > 0


def test_concurrent_callers_are_never_served_faster_than_the_rate() -> None:
    time = FakeTime()
    bucket = TokenBucket(5, burst=1, clock=time.clock, sleep=time.sleep)
    threads = [threading.Thread(target=bucket.acquire) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # With the clock standing still, 50 callers got one token each, spaced 1/5 s apart.
    assert bucket.acquired == 50
    assert sorted(time.slept) == pytest.approx([i / 5 for i in range(1, 50)])


def test_invalid_rates_are_rejected() -> None:
    with pytest.raises(ValueError):
        TokenBucket(0)
    with pytest.raises(ValueError):
        TokenBucket(1, burst=0.5)
