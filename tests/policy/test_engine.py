"""The engine owns what it remembers: every cache stays within its limits, and nothing else keeps state."""

from __future__ import annotations

import ast
import dataclasses
import graphlib
from pathlib import Path

import awsip.policy
from awsip.policy import EngineLimits, PolicyEngine, Request

from .helpers import allow, deny, doc, managed, seed

ATTACHED = ("AmazonEC2FullAccess", "AmazonEKSClusterPolicy", "IAMReadOnlyAccess", "AutoScalingFullAccess")
CONDITIONAL = doc(
    allow("s3:GetObject", "arn:aws:s3:::b/${aws:username}/*"),
    allow("iam:PassRole", "*", condition={"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}),
    deny("ec2:TerminateInstances", "*", condition={"StringNotLike": {"aws:PrincipalTag/team": ["a*", "b?"]}}),
    name="conditional",
)

#: Small enough that every cache drops entries during the checks below.
TINY = EngineLimits(
    compiled_patterns=100,
    actions_per_policy=8,
    globs=8,
    predicates=4,
    clause_predicates=4,
    automaton_states=400,
    automaton_steps=1_000,
    solver_answers=2,
    outcomes=3,
    reports=1,
)
#: usage() key -> the limit that bounds it.
BOUNDS = {
    "compiled_patterns": TINY.compiled_patterns,
    "globs": TINY.globs,
    "predicates": TINY.predicates,
    "clause_predicates": TINY.clause_predicates,
    "automaton_states": TINY.automaton_states,
    "automaton_steps": TINY.automaton_steps,
    "implied": TINY.solver_answers,
    "required_context": TINY.solver_answers,
    "outcomes": TINY.outcomes,
    "reports": TINY.reports,
}


def _workload(engine: PolicyEngine) -> list[object]:
    """Coverage and simulate answers for a mix of documents (the same every time)."""
    attached = [managed(name) for name in ATTACHED] + [CONDITIONAL]
    answers: list[object] = []
    for required in (seed(), doc(allow("*:Describe*", "*")), doc(allow(None, "*", not_action="ec2:*"))):
        answers.append(engine.check_coverage(required, attached).to_json())
    requests = [
        Request("ec2:RunInstances", "arn:aws:ec2:eu-west-1:123456789012:instance/i-1"),
        Request("s3:GetObject", "arn:aws:s3:::b/alice/key", {"aws:username": "alice"}),
        Request("iam:PassRole", "arn:aws:iam::1:role/r", {"iam:PassedToService": "ec2.amazonaws.com"}),
        Request("ec2:TerminateInstances", "arn:aws:ec2:::i", {"aws:PrincipalTag/team": "bx"}),
    ]
    answers += [engine.simulate(attached, request).to_json() for request in requests]
    return answers


def test_every_cache_stays_within_its_limit_and_answers_do_not_change() -> None:
    roomy = PolicyEngine()
    tiny = PolicyEngine(TINY)
    expected = _workload(roomy)
    assert _workload(tiny) == expected
    assert _workload(tiny) == expected  # again, after evictions
    usage, roomy_usage = tiny.usage(), roomy.usage()
    for key, bound in BOUNDS.items():
        assert usage[key] <= bound, key
        # The roomy engine kept more: the limit is what held the tiny one back.
        assert roomy_usage[key] > bound, key
    assert usage["disjoint"] <= TINY.solver_answers


def test_engines_share_nothing_and_clear_forgets() -> None:
    first, second = PolicyEngine(), PolicyEngine()
    first.check_coverage(seed(), [managed("AmazonEC2FullAccess")])
    assert first.usage()["reports"] == 1 and first.usage()["compiled_policies"] == 2
    assert all(count == 0 for count in second.usage().values())
    first.clear(results_only=True)
    assert first.usage()["reports"] == 0 and first.usage()["outcomes"] == 0
    assert first.usage()["compiled_policies"] == 2  # matchers are kept
    first.clear()
    assert all(count == 0 for count in first.usage().values())


def test_documents_carry_no_derived_state() -> None:
    document = managed("AmazonEC2FullAccess")
    before = dict(vars(document))
    engine = PolicyEngine()
    engine.simulate([document], Request("ec2:RunInstances", "arn:aws:ec2:::instance/i-1"))
    engine.check_coverage(seed(), [document], boundary=document)
    assert vars(document) == before
    assert dataclasses.is_dataclass(document)


def test_the_engine_modules_import_strictly_downward() -> None:
    """No import cycle among awsip.policy's modules (model.py used to import match.compile_policy)."""
    package = Path(awsip.policy.__file__).parent
    graph: dict[str, set[str]] = {}
    for path in package.glob("*.py"):
        if path.name == "__init__.py":
            continue
        imported: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("awsip.policy."):
                imported.add(node.module.removeprefix("awsip.policy."))
            elif isinstance(node, ast.Import):
                imported.update(
                    a.name.removeprefix("awsip.policy.")
                    for a in node.names
                    if a.name.startswith("awsip.policy.")
                )
        graph[path.stem] = imported
    assert "match" not in graph["model"]
    order = list(graphlib.TopologicalSorter(graph).static_order())  # raises CycleError on a cycle
    assert set(order) >= set(graph)
