from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from awsip.api.v1alpha1 import MAX_MISSING_LISTED
from awsip.aws.policy_simulator import SimulationRequest, SimulationResult
from awsip.policy import check_coverage, parse_policy
from awsip.verification.permission_verdicts import (
    Verdict,
    combine,
    local_verdicts,
    permissions_check,
    simulated_verdicts,
)
from awsip.verification.simulation_requests import RequiredRequest


def v(action: str, status: str, reason: str = "", resource: str = "*") -> Verdict:
    return Verdict(action, resource, status, reason)  # type: ignore[arg-type]


def test_either_method_finding_a_gap_is_a_gap() -> None:
    local = [v("ec2:CreateVpc", "Covered"), v("ec2:RunInstances", "NotCovered", "no Allow")]
    simulated = [
        v("ec2:CreateVpc", "NotCovered", "denied by an organization SCP"),
        v("ec2:RunInstances", "Covered"),
    ]
    combined = combine(local, simulated)
    assert [(c.action, c.status, c.reason) for c in combined] == [
        ("ec2:CreateVpc", "NotCovered", "denied by an organization SCP"),
        ("ec2:RunInstances", "NotCovered", "no Allow"),
    ]


def test_simulate_decides_what_local_could_not_and_vice_versa() -> None:
    local = [v("kms:CreateGrant", "Unknown", "condition"), v("ec2:CreateVpc", "Covered")]
    simulated = [v("kms:CreateGrant", "Covered"), v("ec2:CreateVpc", "Unknown", "needs context keys")]
    assert [c.status for c in combine(local, simulated)] == ["Covered", "Covered"]


def test_actions_are_merged_case_insensitively_per_action() -> None:
    local = [v("ec2:CreateTags", "Covered", resource="a"), v("EC2:createtags", "Unknown", resource="b")]
    [combined] = combine(local, None)
    assert combined.status == "Unknown"
    [combined] = combine(local, [v("ec2:createTags", "Covered")])
    assert combined.status == "Covered"


def test_only_one_method() -> None:
    assert [c.status for c in combine(None, [v("a:B", "Covered"), v("a:C", "Unknown")])] == [
        "Covered",
        "Unknown",
    ]
    assert [c.status for c in combine([v("a:B", "NotCovered")], None)] == ["NotCovered"]


def test_simulation_results_become_verdicts() -> None:
    vpc = RequiredRequest(SimulationRequest("ec2:CreateVpc", None), "*")
    linked = RequiredRequest(
        SimulationRequest("iam:CreateServiceLinkedRole", "arn:aws:iam::1:role/x"), "arn:*:iam::*:role/x"
    )
    grant = RequiredRequest(SimulationRequest("kms:CreateGrant", None), "*")
    lost = RequiredRequest(SimulationRequest("ec2:RunInstances", None), "*")
    results = [
        SimulationResult(vpc.request, "allowed"),
        SimulationResult(
            linked.request, "implicitDeny", allowed_by_organizations=False, allowed_by_boundary=False
        ),
        SimulationResult(grant.request, "implicitDeny", missing_context=("kms:ResourceAliases",)),
    ]
    verdicts = simulated_verdicts([vpc, linked, grant, lost], results)
    assert [(x.status, x.resource) for x in verdicts] == [
        ("Covered", "*"),
        ("NotCovered", "arn:*:iam::*:role/x"),
        ("Unknown", "*"),
        ("Unknown", "*"),
    ]
    assert verdicts[1].reason == (
        "SimulatePrincipalPolicy: implicitDeny on arn:aws:iam::1:role/x (denied by an organization SCP) "
        "(not allowed by the permissions boundary)"
    )
    assert "kms:ResourceAliases" in verdicts[2].reason


def test_the_check_and_the_details() -> None:
    verdicts = [v(f"ec2:Action{i}", "NotCovered", "no Allow") for i in range(60)] + [v("ec2:Ok", "Covered")]
    check, details = permissions_check(verdicts, method="Local", profile="capa-minimal", config_map=None)
    assert (check.status, check.reason, check.transient) == ("False", "MissingPermissions", False)
    assert check.message.startswith("The role lacks 60 of 61 required actions: ec2:Action0, ec2:Action1,")
    assert "and 50 more (see status.permissions.missing)" in check.message
    assert "`awsip policy print --profile capa-minimal`" in check.message
    assert details.required_actions == 61 and details.missing_actions == 60
    assert len(details.missing) == MAX_MISSING_LISTED and details.truncated

    check, details = permissions_check(
        [v("a:B", "Unknown", "?")], method="Local", profile=None, config_map="ns/cm"
    )
    assert (check.status, check.reason) == ("Unknown", "UndecidedPermissions")
    assert details.unknown_actions == 1

    check, _ = permissions_check(
        [v("a:B", "NotCovered")], method="Simulate", profile=None, config_map="ns/cm (key 'p')"
    )
    assert "ConfigMap ns/cm (key 'p')" in check.message

    check, details = permissions_check(
        [v("a:B", "Covered")], method="LocalAndSimulate", profile=None, config_map=None
    )
    assert (check.status, check.reason) == ("True", "AllPermissionsGranted")
    assert details.method == "LocalAndSimulate"


def test_engine_results_map_to_verdicts() -> None:
    required = parse_policy(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": ["ec2:A", "ec2:B"], "Resource": "*"}],
        }
    )
    granted = parse_policy(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ec2:A", "Resource": "*"}]}
    )
    verdicts = local_verdicts(check_coverage(required, [granted]).results)
    assert [(x.action, x.status) for x in verdicts] == [("ec2:A", "Covered"), ("ec2:B", "NotCovered")]


def _reference_combine(local: list[Verdict] | None, simulated: list[Verdict] | None) -> list[Verdict]:
    """The rules of the module's docstring, written plainly (the model ``combine`` is checked against)."""
    order: dict[str, None] = {}
    for verdict in [*(local or []), *(simulated or [])]:
        order.setdefault(verdict.action.lower(), None)
    out = []
    for key in order:
        mine = [x for x in local or [] if x.action.lower() == key]
        theirs = [x for x in simulated or [] if x.action.lower() == key]
        both = [*mine, *theirs]
        missing = [x for x in both if x.status == "NotCovered"]
        if missing:
            out.append(missing[0])
        elif (mine and all(x.status == "Covered" for x in mine)) or (
            theirs and all(x.status == "Covered" for x in theirs)
        ):
            out.append(Verdict(both[0].action, both[0].resource, "Covered", both[0].reason))
        else:
            out.append(next(x for x in both if x.status == "Unknown"))
    return out


_verdicts = st.lists(
    st.builds(
        v,
        st.sampled_from(["ec2:RunInstances", "EC2:runinstances", "iam:GetRole", "eks:DescribeCluster"]),
        st.sampled_from(["Covered", "NotCovered", "Unknown"]),
        st.sampled_from(["", "no Allow", "allowed", "needs a context key"]),
        st.sampled_from(["*", "arn:aws:eks:*:*:cluster/*"]),
    ),
    max_size=8,
)


@given(st.none() | _verdicts, st.none() | _verdicts)
def test_combine_agrees_with_the_plain_reading_of_its_rules(
    local: list[Verdict] | None, simulated: list[Verdict] | None
) -> None:
    assert combine(local, simulated) == _reference_combine(local, simulated)
