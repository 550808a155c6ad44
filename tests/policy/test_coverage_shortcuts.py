"""The coverage check's shortcuts for an Allow that names the required resources: quick, and
never a different answer than the automaton search would give."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from awsip.policy import check_coverage, coverage, parse_policy, simulate
from awsip.policy.caches import Patterns
from awsip.policy.coverage import _plainly_disjoint
from awsip.policy.patterns import static
from awsip.policy.wildcard import Glob, Language, find_string
from awsip.profiles import load_profile

from .helpers import allow, deny, doc, seed

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


def test_a_conditional_allow_holding_in_the_required_context_is_still_searched() -> None:
    """One conditional Allow holds in the context found first without being implied (the required
    condition allows other values): the search finds the context where it fails."""
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
    report = check_coverage(required, [holding])
    (missing,) = report.missing
    assert missing.witness is not None
    assert not simulate([holding], missing.witness).allowed
    assert simulate([required], missing.witness).allowed
