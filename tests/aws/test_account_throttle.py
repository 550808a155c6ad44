"""The emulated AWS throttling of tests/support/account_throttle.py counts what the tests rely on."""

from __future__ import annotations

from tests.support.account_throttle import AccountThrottle
from tests.support.fault_proxy import SeenRequest
from tests.support.send_times import SENT_AT_HEADER

THROTTLED = "222222222222"


def sent(at: float | None, key: str = "AKIDTHROTTLED") -> SeenRequest:
    headers = {SENT_AT_HEADER: repr(at)} if at is not None else {}
    return SeenRequest(id=0, method="POST", path="/", query="", body=b"", access_key=key, headers=headers)


def throttle(limit: int, now: float = 100.0) -> AccountThrottle:
    accounts = {"AKIDTHROTTLED": THROTTLED, "AKIDFREE": "111111111111"}
    return AccountThrottle({THROTTLED: limit}, account_of=accounts.__getitem__, clock=lambda: now)


def test_a_stamped_request_is_judged_at_its_send_time_not_its_arrival() -> None:
    aws = throttle(2)
    # Sent half a second apart, read by the proxy all at once (its clock says 100.0 for each).
    assert [aws(sent(at)) for at in (10.0, 10.5, 11.0, 11.5)] == [False] * 4
    assert [a.at for a in aws.arrivals()] == [10.0, 10.5, 11.0, 11.5]


def test_every_window_around_a_request_counts_out_of_order_ones_too() -> None:
    aws = throttle(2)
    assert not aws(sent(10.0))
    assert not aws(sent(10.9))
    # Arrives last, sent first: [9.95, 10.95) would hold three.
    assert aws(sent(9.95))
    # [10.0, 11.0) holds two already, [10.9, 11.9) one.
    assert aws(sent(10.95))
    assert not aws(sent(11.0))


def test_unstamped_requests_are_judged_at_arrival_and_other_accounts_never() -> None:
    aws = throttle(1, now=50.0)
    assert not aws(sent(None))
    assert aws(sent(None))
    assert not any(aws(sent(None, key="AKIDFREE")) for _ in range(5))
    assert [(a.at, a.throttled) for a in aws.arrivals()][:2] == [(50.0, False), (50.0, True)]
