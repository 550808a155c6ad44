"""The coverage check's shortcuts for an Allow that names the required resources: quick, and
never a different answer than the automaton search would give."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from awsip.policy import PolicyDocument, PolicyEngine, check_coverage, coverage, parse_policy, simulate
from awsip.policy.caches import Patterns
from awsip.policy.coverage import _plainly_disjoint
from awsip.policy.patterns import static
from awsip.policy.wildcard import Glob, Language, find_string
from awsip.profiles import load_profile

from .helpers import allow, deny, doc, managed, seed
from .test_properties import FAST, documents, related_documents

ROLE = "arn:*:iam::*:role/*.cluster-api-provider-aws.sigs.k8s.io"


def glob(text: str, *, ignore_case: bool = False) -> Glob:
    """The glob of a resource pattern, as the engine compiles it."""
    (pattern,) = doc(allow("iam:PassRole", text)).statements[0].resources.patterns
    tokens = static(pattern)
    assert tokens is not None
    return Patterns().glob(tokens, ignore_case)


def test_a_glob_complemented_by_itself_is_plainly_empty() -> None:
    role, other = glob(ROLE), glob("arn:*:iam::*:role/other")
    assert _plainly_disjoint([Language((role,), True), Language((other, role), False)])
    # One glob left outside every complement: for the automaton search to decide.
    assert not _plainly_disjoint([Language((role, other), True), Language((role,), False)])
    # The same text matched without regard to case is another language.
    folded = glob(ROLE, ignore_case=True)
    assert not _plainly_disjoint([Language((folded,), True), Language((role,), False)])
    assert not _plainly_disjoint([Language((role,), True)])


def test_the_complement_of_an_allow_on_every_resource_is_plainly_empty() -> None:
    role, anything = glob(ROLE), glob("*")
    assert anything.universal and not glob("**a").universal
    # No glob shared, but the complement of "*" (with anything else) holds no string.
    assert _plainly_disjoint([Language((role,), True), Language((glob("x*"), anything), False)])
    assert not _plainly_disjoint([Language((role,), True), Language((glob("?*"),), False)])
    assert not _plainly_disjoint([Language((anything,), True), Language((role,), False)])


_GLOBS = st.text(alphabet="ab*?", max_size=5).map(lambda text: glob(text or "a"))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.lists(_GLOBS, min_size=1, max_size=3), st.booleans()), min_size=1, max_size=3))
def test_plainly_disjoint_languages_share_no_string(languages: list[tuple[list[Glob], bool]]) -> None:
    """The shortcut never says "disjoint" where the automaton search finds a common string."""
    built = [Language(tuple(globs), positive) for globs, positive in languages]
    if _plainly_disjoint(built):
        assert find_string(built) is None


def test_a_copy_of_the_required_policy_under_another_name_covers_it() -> None:
    copy = parse_policy(load_profile("capa-minimal"), name="arn:aws:iam::222233334444:policy/capa-minimal")
    report = check_coverage(seed(), [copy])
    assert report.covered and report.unknown == []


def test_an_allow_one_resource_short_is_still_not_covered() -> None:
    required = doc(allow("iam:PassRole", ["arn:*:iam::*:role/app-*", "arn:*:iam::*:role/db"]))
    narrower = doc(allow("iam:PassRole", ["arn:*:iam::*:role/app-*"]))
    report = check_coverage(required, [narrower])
    (missing,) = report.missing
    assert missing.witness is not None
    assert not simulate([narrower], missing.witness).allowed
    assert simulate([required], missing.witness).allowed


def test_an_allow_naming_the_resources_does_not_hide_a_deny() -> None:
    required = doc(allow("iam:PassRole", ROLE))
    granted = doc(allow("iam:PassRole", ROLE), deny("iam:PassRole", "arn:*:iam::*:role/admin.*"))
    report = check_coverage(required, [granted])
    (missing,) = report.missing
    assert missing.witness is not None and "admin." in (missing.witness.resource or "")


SLR = "arn:*:iam::*:role/aws-service-role/eks.amazonaws.com/AWSServiceRoleForAmazonEKS"


def _slr_for(service: str) -> dict[str, object]:
    return allow(
        "iam:CreateServiceLinkedRole", "*", condition={"StringEquals": {"iam:AWSServiceName": service}}
    )


def test_conditional_allows_failing_in_the_required_context_need_no_search(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every conditional Allow fails in the context the required conditions ask for (the
    service-linked-role statements of AWS-managed policies, each for other services): that context
    is the witness's, found without searching contexts."""

    def no_search(*args: object, **kwargs: object) -> object:
        raise AssertionError("the contexts were searched")

    monkeypatch.setattr(coverage.Solver, "search_contexts", no_search)
    required = doc(
        allow(
            "iam:CreateServiceLinkedRole",
            SLR,
            condition={"StringLike": {"iam:AWSServiceName": "eks.amazonaws.com"}},
        )
    )
    attached = doc(_slr_for("spot.amazonaws.com"), _slr_for("elasticloadbalancing.amazonaws.com"))
    report = check_coverage(required, [attached])
    (missing,) = report.missing
    assert missing.witness is not None
    assert missing.witness.context == {"iam:AWSServiceName": "eks.amazonaws.com"}
    assert not simulate([attached], missing.witness).allowed
    assert simulate([required], missing.witness).allowed


def test_a_conditional_allow_holding_in_the_required_context_is_still_searched(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One conditional Allow holds in the context found first without being implied (the required
    condition allows other values): the search finds the context where it fails."""
    searched: list[object] = []
    search = coverage.Solver.search_contexts

    def recorded(self: coverage.Solver, *args: Any, **kwargs: Any) -> Any:
        searched.append(args)
        return search(self, *args, **kwargs)

    monkeypatch.setattr(coverage.Solver, "search_contexts", recorded)
    required = doc(
        allow("iam:CreateServiceLinkedRole", SLR, condition={"StringLike": {"iam:AWSServiceName": "eks*"}})
    )
    holding = doc(
        allow(
            "iam:CreateServiceLinkedRole",
            "*",
            condition={"StringLike": {"iam:AWSServiceName": ["eks", "eks.amazonaws.com", "eksexample"]}},
        )
    )
    report = PolicyEngine().check_coverage(required, [holding])
    (missing,) = report.missing
    assert searched, "the witness's context was not searched for"
    assert missing.witness is not None
    assert missing.witness.context != {"iam:AWSServiceName": "eks.amazonaws.com"}
    assert not simulate([holding], missing.witness).allowed
    assert simulate([required], missing.witness).allowed


@FAST
@given(required=documents(required=True, max_size=2), data=st.data())
def test_cells_allowed_outright_are_those_the_analysis_allows(
    required: dict[str, Any], data: st.DataObject
) -> None:
    """A cell taken as allowed outright (no Deny, condition, variable nor boundary in it, and an
    Allow of every resource) gets the outcome the full analysis gives it, on random policies
    close to the required one (the managed ones below too)."""
    attached = data.draw(st.one_of(related_documents(required), documents()))
    extra = data.draw(
        st.sampled_from([[], ["AmazonEC2FullAccess"], ["AmazonEKSServicePolicy", "PowerUserAccess"]])
    )
    policies = [parse_policy(attached, name="attached"), *(managed(name) for name in extra)]
    document = parse_policy(required, name="required")
    taken = _report(document, policies, outright=True)
    assert taken == _report(document, policies, outright=False)


def _report(document: PolicyDocument, policies: list[PolicyDocument], *, outright: bool) -> Any:
    engine = PolicyEngine()
    original = coverage._allowed_outright

    def shortcut(*args: Any) -> bool:
        return original(*args) and outright

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(coverage, "_allowed_outright", shortcut)
        report = engine.check_coverage(document, policies)
    return report.to_json()


def test_the_benchmark_cells_are_mostly_allowed_outright(monkeypatch: pytest.MonkeyPatch) -> None:
    """capa-minimal against AmazonEC2FullAccess: the ec2 cells are allowed outright (ec2:* on *),
    and the report is the full analysis's."""
    taken: list[bool] = []
    original = coverage._allowed_outright

    def counting(*args: Any) -> bool:
        found = original(*args)
        taken.append(found)
        return found

    monkeypatch.setattr(coverage, "_allowed_outright", counting)
    policies = [managed("AmazonEC2FullAccess")]
    report = PolicyEngine().check_coverage(seed(), policies)
    assert sum(taken) >= 10
    monkeypatch.setattr(coverage, "_allowed_outright", lambda *args: False)
    assert PolicyEngine().check_coverage(seed(), policies).to_json() == report.to_json()
