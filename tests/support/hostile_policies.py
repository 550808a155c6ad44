"""Policies a hostile tenant could write: costly for the policy engine, or larger than IAM allows.

Each wildcard pattern of ``?`` and ``*`` asks the engine for automaton searches against every
statement of the role's policies that may match; many of them on both sides multiply. The tenant
controls both: the required policy (a ConfigMap in its namespace) and, if it owns the role, the
role's policies. Used by the tests and by benchmarks/hostile_tenants.py.
"""

from __future__ import annotations

from typing import Any


def costly_required_policy(statements: int, *, variant: int = 0) -> dict[str, Any]:
    """``statements`` statements of ``?``/``*`` patterns (about 94 characters each, so 100 stay
    under IAM's 10,240); another ``variant`` gives other patterns (no cached result to share)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["ec2:" + "?" * ((i + variant) % 20 + 3) + "*"],
                "Resource": ["arn:aws:ec2:*:*:" + "?*" * ((i + 7 * variant) % 12 + 2)],
            }
            for i in range(statements)
        ],
    }


def costly_role_policy(seed: int, statements: int) -> dict[str, Any]:
    """A role policy of wildcard statements that the costly required ones all have to be compared
    with (45 statements: under a managed policy's 6,144 characters).

    Only ``*`` wildcards: moto turns a policy's ``?`` into a regular expression's quantifier and
    answers every request of the role's session with a 500 ("multiple repeat").
    """
    letters = "abcdefghijklmnopqrstuvwxyz"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [
                    "ec2:*" + "*".join(letters[(i + seed) % 20 : (i + seed) % 20 + (i % 4) + 2]) + "*"
                ],
                "Resource": [
                    "arn:aws:ec2:*:*:*" + "*".join(letters[(i * seed) % 20 : (i * seed) % 20 + 3]) + "*x"
                ],
            }
            for i in range(statements)
        ],
    }


def oversized_required_policy() -> dict[str, Any]:
    """About the policy of issue 14's report: 1,000 wildcard statements, over 100 KB of JSON."""
    return costly_required_policy(1000)
