"""A required policy prepared ahead (PolicyEngine.prepare, what ``awsip run`` does for the built-in
profiles at startup) gives the very verdicts of one compiled on the way, and is found again."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from awsip.catalog import Catalog
from awsip.policy import ActionResult, CoverageReport, PolicyDocument, PolicyEngine, coverage, parse_policy
from awsip.policy.caches import Lru, Patterns
from awsip.policy.match import compile_policy
from awsip.policy.solver import Solver, Undecidable, required_context
from awsip.profiles import load_profile

from .helpers import allow, deny, doc, fixture, managed, seed
from .test_properties import FAST, conditions, documents

#: Attached sets with every status among them: covered, missing with witnesses, Unknown.
ATTACHED: dict[str, list[str]] = {
    "benchmark": [
        "AmazonEC2FullAccess",
        "AmazonEKSClusterPolicy",
        "AmazonEKSServicePolicy",
        "AmazonEKSWorkerNodePolicy",
        "AutoScalingFullAccess",
        "ElasticLoadBalancingFullAccess",
        "IAMReadOnlyAccess",
        "AmazonSSMReadOnlyAccess",
        "SecretsManagerReadWrite",
        "ReadOnlyAccess",
    ],
    "power-user": ["PowerUserAccess"],
    "admin": ["AdministratorAccess"],
    "ec2-only": ["AmazonEC2FullAccess"],
}
CONDITIONAL = doc(
    allow("iam:PassRole", "*", condition={"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}),
    allow("ec2:*", "arn:aws:ec2:*:*:instance/*"),
    deny("ec2:TerminateInstances", "*", condition={"StringNotLike": {"aws:PrincipalTag/team": ["a*"]}}),
    # Together they cover every eks action; the engine cannot prove it: Unknown.
    allow("eks:*", "*", condition={"StringLike": {"test:k": "a*"}}),
    allow("eks:*", "*", condition={"StringNotLike": {"test:k": "a*"}}),
    name="conditional",
)


def _verdicts(report: CoverageReport) -> tuple[Any, list[ActionResult]]:
    """Everything a report says: its JSON and every result (covered ones too: reasons, notes)."""
    return report.to_json(), report.results


def _reports(engine: PolicyEngine, required: PolicyDocument, sets: list[list[PolicyDocument]]) -> list[Any]:
    return [_verdicts(engine.check_coverage(required, attached)) for attached in sets]


def _sets() -> list[list[PolicyDocument]]:
    sets = [[managed(name) for name in names] for names in ATTACHED.values()]
    return [*sets, [CONDITIONAL], [fixture("deny-eks.json"), managed("PowerUserAccess")]]


def test_a_prepared_profile_gives_the_verdicts_of_one_compiled_on_the_way() -> None:
    sets = _sets()
    expected = _reports(PolicyEngine(), seed(), sets)
    statuses = {r.status for _, results in expected for r in results}
    assert statuses == {"Covered", "NotCovered", "Unknown"}  # the comparison sees every kind
    engine = PolicyEngine()
    engine.prepare(seed())
    assert engine.usage()["prepared_policies"] == 1 and engine.usage()["prepared_scopes"] > 100
    assert _reports(engine, seed(), sets) == expected  # a document parsed again: the prepared one
    # Nothing of the required policy compiled again: only the attached documents were.
    assert engine.usage()["compiled_policies"] == sum(len(s) for s in sets)
    assert engine.usage()["scopes"] == 0  # every scope came from the prepared ones
    engine.clear()  # what the benchmark's cold checks do: the prepared policy stays
    assert engine.usage()["prepared_policies"] == 1
    assert _reports(engine, seed(), sets) == expected
    engine.clear(prepared=True)
    assert engine.usage()["prepared_policies"] == engine.usage()["prepared_scopes"] == 0
    assert _reports(engine, seed(), sets) == expected


def test_another_name_or_content_is_not_taken_for_the_prepared_policy() -> None:
    engine = PolicyEngine()
    engine.prepare(seed())
    renamed = parse_policy(load_profile("capa-minimal"), name="capa-minimal-copy")
    changed_source = load_profile("capa-minimal")
    changed_source["Statement"][0]["Action"] = ["ec2:DescribeVpcs"]
    changed = parse_policy(changed_source, name="capa-minimal")
    attached = [managed("AmazonEC2FullAccess")]
    for required in (renamed, changed):
        assert _verdicts(engine.check_coverage(required, attached)) == (
            _verdicts(PolicyEngine().check_coverage(required, attached))
        )
    assert engine.usage()["compiled_policies"] == 3  # both compiled on their own, and the attached one


@pytest.mark.parametrize("catalog", ["default", None])
def test_preparing_without_or_with_the_catalog(catalog: str | None) -> None:
    engine = PolicyEngine(catalog=catalog)
    engine.prepare(seed())
    expected = _verdicts(PolicyEngine(catalog=catalog).check_coverage(seed(), [CONDITIONAL]))
    assert _verdicts(engine.check_coverage(seed(), [CONDITIONAL])) == expected
    assert (engine.usage()["prepared_scopes"] > 0) is (catalog is not None)


@FAST
@given(required=documents(required=True), attached=documents())
def test_prepared_and_lazily_compiled_agree_on_random_policies(
    required: dict[str, Any], attached: dict[str, Any]
) -> None:
    name = "random-required"
    policies = [parse_policy(attached, name="attached")]
    expected = _verdicts(PolicyEngine().check_coverage(parse_policy(required, name=name), policies))
    engine = PolicyEngine()
    engine.prepare(parse_policy(required, name=name))
    assert _verdicts(engine.check_coverage(parse_policy(required, name=name), policies)) == expected
    assert engine.usage()["compiled_policies"] == 1  # the attached policy alone


def test_the_built_in_profiles_are_prepared_as_the_verification_names_them() -> None:
    from awsip.policy import default_engine
    from awsip.policy.startup import prepare_builtin_profiles
    from awsip.profiles import PROFILES

    engine = default_engine()
    engine.clear(prepared=True)
    try:
        prepare_builtin_profiles()
        assert engine.usage()["prepared_policies"] == len(PROFILES)
        # The verification parses the profile's document under the profile's name.
        required = parse_policy(load_profile("capa-minimal"), name="capa-minimal")
        engine.check_coverage(required, [managed("AmazonEC2FullAccess")])
        assert engine.usage()["compiled_policies"] == 1 and engine.usage()["scopes"] == 0
    finally:
        engine.clear(prepared=True)


@FAST
@given(
    block=conditions(False),
    multivalued=st.sets(st.sampled_from(["test:s", "test:n", "test:m", "test:b", "other:key"])),
    prepare=st.booleans(),
)
def test_a_required_context_depends_on_its_own_keys_being_multivalued_only(
    block: dict[str, Any], multivalued: set[str], prepare: bool
) -> None:
    """The solver remembers (and prepares) a required statement's context by which of its keys are
    multivalued: the answer is the one worked out with every multivalued key."""
    statement: dict[str, Any] = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
    if block:
        statement["Condition"] = block
    clauses = parse_policy({"Version": "2012-10-17", "Statement": [statement]}).statements[0].conditions
    keys = frozenset(multivalued)

    def answer(call: Callable[[], object]) -> object:
        try:
            return call()
        except Undecidable as error:
            return ("undecidable", str(error))

    expected = answer(lambda: required_context(clauses, keys))
    solver = Solver(Patterns(), 16)
    if prepare:
        solver.prepare_required_context(clauses, frozenset(k for k in keys if k != "other:key"))
    assert answer(lambda: solver.required_context(clauses, keys)) == expected
    assert answer(lambda: solver.required_context(clauses, keys | {"unrelated:key"})) == expected


def test_the_rows_of_a_required_policy_are_worked_out_once_per_catalog(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A check keeps the rows of its required policy with the compiled policy (the requests each
    action stands for included): a later check of that policy finds them; another catalog gets
    its own, with its own requests."""
    engine = PolicyEngine()
    required = compile_policy(seed(), boundary=False, patterns=engine.patterns)
    attached = [compile_policy(managed("AmazonEC2FullAccess"), boundary=False, patterns=engine.patterns)]

    def check(catalog: Catalog | None) -> CoverageReport:
        return coverage.analyze(
            required, attached, None, solver=engine.solver, outcomes=Lru(1024), catalog=catalog
        )

    first = check(engine.catalog)
    assert {r.requests for r in first.results} == {"catalog", "formal"}

    def no_scope(*args: object, **kwargs: object) -> object:
        raise AssertionError("the requests of a required action were worked out again")

    monkeypatch.setattr(coverage._Checker, "_scope", no_scope)
    assert _verdicts(check(engine.catalog)) == _verdicts(first)
    monkeypatch.undo()
    formal = check(None)
    assert {r.requests for r in formal.results} == {"formal"}
    assert [r.action for r in formal.results] == [r.action for r in first.results]
