"""Hostile patterns from an AWS account must not stall the operator: searches stop with Unknown.

A Deny on ``a*a*a*...`` (hundreds of stars) or ``????...`` is legal IAM syntax; comparing it with
a required pattern makes every product state of the automaton search hundreds of NFA states wide.
The search is bounded by work, not only by the number of product states, so the verdict comes
back (as Unknown, never Covered) instead of the check running for minutes (found by the fuzz
tests in tests/fuzz).
"""

from __future__ import annotations

from awsip.policy import check_coverage, parse_policy

REQUIRED = parse_policy(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/*"}],
    },
    name="required",
)


def test_a_hostile_deny_pattern_gives_unknown_not_covered() -> None:
    attached = parse_policy(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "*", "Resource": "*"},
                {"Sid": "Hostile", "Effect": "Deny", "Action": "s3:*", "Resource": ["a*" * 800, "?" * 400]},
            ],
        },
        name="hostile",
    )
    report = check_coverage(REQUIRED, [attached])
    (result,) = report.results
    assert result.status == "Unknown"
    assert "too complex" in result.reason
    assert not report.covered


def test_the_same_deny_on_a_disjoint_service_still_covers() -> None:
    attached = parse_policy(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "*", "Resource": "*"},
                {"Effect": "Deny", "Action": "ec2:*", "Resource": ["a*" * 800]},
            ],
        },
        name="hostile-elsewhere",
    )
    assert check_coverage(REQUIRED, [attached]).covered
