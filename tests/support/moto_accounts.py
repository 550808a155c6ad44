"""Seeding moto in accounts other than its default one (tests and benchmarks).

moto keeps a separate IAM for every 12-digit account and lets a request name its account in the
``x-moto-account-id`` header (while its auth mode is off, the seeding credentials are accepted in
any account). Roles seeded so are then reached as in AWS: AssumeRole with the role's ARN gives a
session of that account, whose calls moto serves from that account's IAM.
"""

from __future__ import annotations

from typing import Any


def in_account(client: Any, account: str) -> Any:
    """``client`` (a seeding client of :class:`awsip.sandbox.aws_seed.MotoServer`) made to act in
    ``account``; returns it."""
    if len(account) != 12 or not account.isdigit():
        raise ValueError(f"not an AWS account id: {account!r}")

    def name_the_account(request: Any, **_: Any) -> None:
        request.headers["x-moto-account-id"] = account

    client.meta.events.register("before-sign", name_the_account, unique_id="awsip-tests-moto-account")
    return client
