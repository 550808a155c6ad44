"""Large policies (issue 13, item 10): no cliff within IAM's sizes, and a plain refusal past them.

A 10,000-statement file took 42 s where 8,000 took 2.8 s (a cache of 8,192 compiled patterns
overflowed; the engine now keeps what a check compiles for as long as the check runs), and a few
hundred conditional Allows on one key took minutes (each step of the condition search tried two
values per condition before a plain one). What a test can say without a clock: how much work a
step does, and that a document larger than IAM accepts is refused before it is analysed. The times
are measured by benchmarks/large_policies.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from awsip.cli import main
from awsip.policy.caches import Patterns
from awsip.policy.conditions import StringPredicate
from awsip.policy.limits import LARGEST_DOCUMENT, beyond_iam_limits, iam_size
from awsip.policy.parse import parse_policy
from awsip.policy.solver import Lit, find_value, search_contexts
from awsip.profiles import load_profile

from .helpers import MANAGED


def statements(count: int, **extra: Any) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": f"ec2:*{i}", "Resource": "*", **extra} for i in range(count)
        ],
    }


def test_documents_iam_accepts_are_within_the_limit() -> None:
    read_only = json.loads((MANAGED / "ReadOnlyAccess.json").read_text())  # the largest AWS managed one here
    assert 80_000 < iam_size(read_only) < LARGEST_DOCUMENT
    assert beyond_iam_limits(read_only) is None
    assert beyond_iam_limits(load_profile("capa-minimal")) is None


def test_iam_counts_no_whitespace() -> None:
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:Get Object", "Resource": "*"}],
    }
    assert iam_size(document) == len(json.dumps(document, separators=(",", ":")))


def test_a_document_larger_than_iam_accepts_is_refused_by_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "huge.json"
    path.write_text(json.dumps(statements(10_000), indent=2))
    assert main(["policy", "check", "--policy", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    (line,) = err.splitlines()
    assert f"{path}: " in line and "in 10,000 statements: larger than any policy IAM lets a role have" in line
    assert line.endswith("so not analysed")
    assert (
        main(["policy", "simulate", "--policy", str(path), "--action", "ec2:RunInstances", "--resource", "*"])
        == 2
    )


def test_just_below_the_limit_is_analysed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document = statements(1)
    while iam_size(document) < LARGEST_DOCUMENT - 100:
        document["Statement"].append(
            {"Effect": "Allow", "Action": f"ec2:*{len(document['Statement'])}", "Resource": "*"}
        )
    path = tmp_path / "big.json"
    path.write_text(json.dumps(document))
    assert main(["policy", "check", "--policy", str(path)]) == 1  # analysed: capa-minimal is not covered
    assert "NOT covered" in capsys.readouterr().out


def counting_contains(patch: pytest.MonkeyPatch) -> list[int]:
    """Counts every evaluation of a string condition from now on (in a one-element list)."""
    calls = [0]
    original = StringPredicate.contains

    def counted(self: StringPredicate, value: str) -> bool:
        calls[0] += 1
        return original(self, value)

    patch.setattr(StringPredicate, "contains", counted)
    return calls


def avoided_conditions(count: int) -> list[Any]:
    return [
        parse_policy(statements(1, Condition={"StringLike": {"aws:RequestTag/team": f"t{i}*"}}))
        .statements[0]
        .conditions[0]
        for i in range(count)
    ]


def test_a_value_avoiding_many_patterns_is_found_in_linear_work() -> None:
    """Conditions a value must avoid (the falsified ``StringLike`` of many Allows): a plain value is
    tried before the patterns' own values, each of which lies inside the pattern it came from."""
    patterns = Patterns()
    items = [(patterns.clause_predicate(clause), False, clause) for clause in avoided_conditions(300)]
    with pytest.MonkeyPatch.context() as patch:
        calls = counting_contains(patch)
        assert find_value(items, patterns) == "example"
    assert calls[0] <= 2 * 300  # it was about 300 * 300


def test_a_search_over_many_conditional_allows_does_linear_work_per_step() -> None:
    """The condition search adds one falsified Allow per step; each step re-solves the key. With a
    plain value tried early, the whole search evaluates each condition a few times per step, not
    two candidate values per condition per step."""
    choices = [[[Lit(clause, False)]] for clause in avoided_conditions(300)]
    with pytest.MonkeyPatch.context() as patch:
        calls = counting_contains(patch)
        first = next(iter(search_contexts((), choices, frozenset())))
    context, chosen = first
    assert context == {"aws:RequestTag/team": "example"}
    assert len(chosen) == 300
    # About one evaluation per condition per step, 300 * 301 / 2 in all; it was two candidate values
    # per condition per step on top of that (millions for 300 conditions).
    assert calls[0] <= 300 * 301
