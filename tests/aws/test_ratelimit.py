from __future__ import annotations

import threading

import pytest

from awsip.aws.ratelimit import (
    AdaptiveBucket,
    AdaptiveRate,
    BucketKey,
    RateLimits,
    RateLimitSettings,
    TokenBucket,
)


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


# -- the adaptive rate of one bucket ---------------------------------------------------------------


def test_a_throttle_cuts_the_rate_it_was_sending_at_and_time_brings_it_back() -> None:
    rate = AdaptiveRate(10)
    assert rate.rate(0.0) == 10 and not rate.recovering
    assert rate.throttled(5.0, reserved_at=4.9, sending_rate=8.0)
    # 0.7 times what was actually sent (8/s), not the allowed 10/s: cutting unused rate changes nothing.
    assert rate.rate(5.0) == pytest.approx(5.6)
    assert rate.recovering
    # It holds for RECOVERY_DELAY (5 s), then grows 5 % a second, compounding:
    # 5.6 -> 10 takes ln(10/5.6)/ln(1.05) = 11.9 s more.
    assert rate.rate(9.9) == pytest.approx(5.6)
    assert rate.rate(11.0) == pytest.approx(5.6 * 1.05)
    assert rate.rate(20.0) == pytest.approx(5.6 * 1.05**10)
    assert rate.rate(21.9) == 10 and not rate.recovering


def test_a_cut_keeps_most_of_what_aws_accepted() -> None:
    rate = AdaptiveRate(20)
    # Sending 6/s of which AWS took 5: 0.7 x 6 = 4.2 would be less than the 4.5 (90 % of 5) that
    # AWS evidently grants.
    assert rate.throttled(1.0, reserved_at=0.9, sending_rate=6.0, granted_rate=5.0)
    assert rate.rate(1.0) == pytest.approx(4.5)
    # A cut never raises the rate, whatever AWS accepted.
    assert rate.throttled(2.0, reserved_at=1.5, sending_rate=4.5, granted_rate=10.0)
    assert rate.rate(2.0) == pytest.approx(4.5)


def test_throttles_of_requests_paced_before_the_last_cut_cut_only_once() -> None:
    rate = AdaptiveRate(20)
    assert rate.throttled(1.0, reserved_at=0.9, sending_rate=None)
    assert rate.rate(1.0) == pytest.approx(14)
    # Answers to requests paced before the cut: that cut answered them.
    assert not rate.throttled(1.05, reserved_at=0.95, sending_rate=None)
    assert not rate.throttled(1.1, reserved_at=0.99, sending_rate=None)
    assert rate.rate(1.1) == pytest.approx(14)
    # A request paced after the cut and throttled too: the new rate is still too high.
    assert rate.throttled(1.2, reserved_at=1.15, sending_rate=None)
    assert rate.rate(1.2) == pytest.approx(0.7 * 14)
    assert rate.cuts == 2


def test_the_rate_never_falls_below_the_floor() -> None:
    rate = AdaptiveRate(2, floor=0.5)
    for step in range(20):
        rate.throttled(float(step), reserved_at=float(step), sending_rate=None)
    assert rate.rate(19.0) == 0.5
    assert AdaptiveRate(0.2).floor == 0.2  # a limit below the floor is its own floor


# -- a bucket: pacing at the adaptive rate ---------------------------------------------------------


class SteppingTime(FakeTime):
    """A clock that the sleeps advance (one caller at a time)."""

    def sleep(self, seconds: float) -> None:
        super().sleep(seconds)
        self.now += seconds


def sent_at(time: SteppingTime, bucket: AdaptiveBucket) -> float:
    bucket.acquire()
    return time.now


def test_a_bucket_paces_requests_one_interval_apart_without_a_burst() -> None:
    time = SteppingTime()
    bucket = AdaptiveBucket(4, clock=time.clock, sleep=time.sleep)
    assert [sent_at(time, bucket) for _ in range(5)] == pytest.approx([0.0, 0.25, 0.5, 0.75, 1.0])


def test_a_throttled_bucket_slows_down_at_once_and_speeds_up_again() -> None:
    time = SteppingTime()
    bucket = AdaptiveBucket(10, clock=time.clock, sleep=time.sleep)
    for _ in range(20):  # two seconds at 10/s
        bucket.acquire()
    assert bucket.throttled(reserved_at=time.now - 0.05)
    # It was sending 10/s, of which AWS accepted 9 in the last second: 90 % of 9, not 0.7 x 10.
    assert bucket.rate() == pytest.approx(8.1)
    first, second = sent_at(time, bucket), sent_at(time, bucket)
    assert first == pytest.approx(1.9 + 1 / 8.1)  # the new, longer interval from the last request
    assert second - first == pytest.approx(1 / 8.1)
    time.now += 60
    assert bucket.rate() == 10 and bucket.throttles == 1


def test_requests_queued_at_the_old_pace_cut_only_once() -> None:
    time = FakeTime()  # the clock stands still: five requests reserve their slots, 0.1 s apart
    bucket = AdaptiveBucket(10, clock=time.clock, sleep=time.sleep)
    reserved = [bucket.acquire()[1] for _ in range(5)]
    time.now = 0.45  # all five sent; AWS throttles every one of them
    assert [bucket.throttled(at) for at in reserved] == [True, False, False, False, False]
    assert bucket.adaptive.cuts == 1
    # The next request is paced at the new rate, and a throttle of it cuts again.
    _, later = bucket.acquire()
    assert bucket.throttled(later)
    assert bucket.adaptive.cuts == 2


def test_a_young_bucket_cuts_its_allowed_rate() -> None:
    time = SteppingTime()
    bucket = AdaptiveBucket(10, clock=time.clock, sleep=time.sleep)
    bucket.acquire()
    assert bucket.throttled(reserved_at=0.0)
    # One request in its first instant says nothing of its rate: the allowed rate is cut.
    assert bucket.rate() == pytest.approx(7.0)


# -- all buckets -----------------------------------------------------------------------------------


def test_buckets_are_made_per_key_and_only_for_limits_that_are_on() -> None:
    limits = RateLimits(RateLimitSettings(sts_calls_per_second=50, account_calls_per_second=0))
    sts = limits.bucket(BucketKey("sts", "eu-west-1"))
    assert sts is not None and sts.limit == 50
    assert limits.bucket(BucketKey("sts", "eu-west-1")) is sts
    assert limits.bucket(BucketKey("sts", "us-east-1")) is not sts
    assert limits.bucket(BucketKey("account", "111122223333")) is None
    assert limits.acquire(BucketKey("account", "111122223333"))[0] == 0.0
    assert not limits.throttled(BucketKey("account", "111122223333"), 0.0)
    assert {state.key.name for state in limits.states()} == {"eu-west-1", "us-east-1"}


def test_the_global_cap_applies_after_the_bucket() -> None:
    time = SteppingTime()
    settings = RateLimitSettings(sts_calls_per_second=0, account_calls_per_second=100, calls_per_second=2)
    limits = RateLimits(settings, clock=time.clock, sleep=time.sleep)
    sent = []
    for i in range(3):
        limits.acquire(BucketKey("account", str(100000000000 + i)))
        sent.append(time.now)
    assert sent == pytest.approx([0.0, 0.5, 1.0])  # three accounts, but 2/s in all


def test_one_account_throttled_leaves_the_others_alone() -> None:
    time = SteppingTime()
    limits = RateLimits(RateLimitSettings(50, 10), clock=time.clock, sleep=time.sleep)
    busy, quiet = BucketKey("account", "111111111111"), BucketKey("account", "222222222222")
    for _ in range(10):
        limits.acquire(busy)
        limits.acquire(quiet)
    assert limits.throttled(busy, time.now)
    rates = {state.key: state.rate for state in limits.states()}
    assert rates[busy] < 10 and rates[quiet] == 10


@pytest.mark.parametrize("field", ["sts_calls_per_second", "account_calls_per_second", "calls_per_second"])
def test_negative_limits_are_refused(field: str) -> None:
    values = {"sts_calls_per_second": 1.0, "account_calls_per_second": 1.0, field: -1.0}
    with pytest.raises(ValueError):
        RateLimitSettings(**values)
