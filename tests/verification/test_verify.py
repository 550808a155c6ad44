"""verify() against a moto server on loopback, with moto's IAM authorization switched on."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest

from awsip.api.v1alpha1 import AWSInfrastructureProviderSpec
from awsip.aws.cache import TtlCache
from awsip.profiles import EXTERNAL_ID_PLACEHOLDER, load_profile
from awsip.sandbox.aws_seed import (
    create_managed_policy,
    create_operator_user,
    create_provider_role,
    provider_trust_policy,
    without_actions,
)
from awsip.status import build_status
from awsip.verification import ProviderRef, VerificationResult, verify
from tests.aws.moto_fixtures import Sandbox, closed_port
from tests.support.aws_calls import count_calls
from tests.verification.fakes import FakeInputs

EXTERNAL_ID = "ext-id-7f3a9c1e"
REF = ProviderRef("team-a", "prod")
THREE = ["ec2:CreateVpc", "elasticloadbalancing:CreateLoadBalancer", "iam:PassRole"]


def spec(role_arn: str, **fields: Any) -> AWSInfrastructureProviderSpec:
    return AWSInfrastructureProviderSpec.model_validate({"roleARN": role_arn, **fields})


def compliant_role(sandbox: Sandbox, name: str = "capa", **kwargs: Any) -> str:
    kwargs.setdefault("external_id", EXTERNAL_ID)
    kwargs.setdefault("managed_policy_arns", [sandbox.capa_policy_arn])
    return create_provider_role(sandbox.iam, name, trusted_principal_arn=sandbox.operator.arn, **kwargs)


def conditions(result: VerificationResult) -> dict[str, tuple[str, str]]:
    status = build_status(result, None, generation=1, now=datetime.now(UTC))
    return {c["type"]: (c["status"], c["reason"]) for c in status["conditions"]}


def test_a_compliant_role_is_verified(sandbox: Sandbox) -> None:
    role = compliant_role(sandbox)
    sandbox.auth()
    aws = sandbox.services()
    counter = count_calls(aws)
    result = verify(REF, spec(role, externalID=EXTERNAL_ID), aws=aws, inputs=FakeInputs())
    assert conditions(result) == {
        "Ready": ("True", "Verified"),
        "RoleAssumed": ("True", "AssumeRoleSucceeded"),
        "PermissionsVerified": ("True", "AllPermissionsGranted"),
        "TrustPolicySecure": ("True", "Secure"),
        "Reconciling": ("False", "VerificationComplete"),
        "Stalled": ("False", "Verified"),
    }
    assert not result.transient
    assert result.account_id == "123456789012"
    assert result.assumed_role_arn == "arn:aws:sts::123456789012:assumed-role/capa/awsip-team-a-prod"
    assert result.permissions_status is not None
    assert result.permissions_status.method == "Local"  # moto does not simulate: Auto ran Local only
    assert result.permissions_status.required_actions == 107
    assert result.trust_status is not None and result.trust_status.external_id_enforced
    assert result.notes == ("SimulatePrincipalPolicy skipped: AccessDenied",)

    # First verification: the role's session reads what capa-minimal lets it read (GetRole,
    # ListAttachedRolePolicies); the rest falls back to the operator (2 calls: denied, then allowed).
    # AssumeRole's answer names the session: no GetCallerIdentity with it.
    assert counter.calls() == {
        "sts:GetCallerIdentity": 1,  # the operator's own (once per process)
        "sts:AssumeRole": 1,
        "iam:GetRole": 1,
        "iam:ListAttachedRolePolicies": 1,
        "iam:GetPolicy": 2,
        "iam:GetPolicyVersion": 2,
        "iam:ListRolePolicies": 2,
        "iam:SimulatePrincipalPolicy": 2,
    }
    # Steady state: the operator's identity, the policy's default version and document are cached,
    # the reads denied to the role's session go straight to the operator, and the simulation that
    # both identities were denied is not asked again.
    counter.reset()
    again = verify(REF, spec(role, externalID=EXTERNAL_ID), aws=aws, inputs=FakeInputs())
    assert again == result
    assert counter.calls() == {
        "sts:AssumeRole": 1,
        "iam:GetRole": 1,
        "iam:ListAttachedRolePolicies": 1,
        "iam:ListRolePolicies": 1,
    }
    assert counter.errors() == {}
    # Once the memories are gone, the verification asks everything again.
    aws.policy_versions = TtlCache(0)
    aws.denials = TtlCache(0)
    counter.reset()
    assert verify(REF, spec(role, externalID=EXTERNAL_ID), aws=aws, inputs=FakeInputs()) == result
    assert counter.calls() == {
        "sts:AssumeRole": 1,
        "iam:GetRole": 1,
        "iam:ListAttachedRolePolicies": 1,
        "iam:GetPolicy": 2,
        "iam:ListRolePolicies": 2,
        "iam:SimulatePrincipalPolicy": 2,
    }


def test_a_wrong_external_id_is_access_denied_with_what_to_fix(sandbox: Sandbox) -> None:
    role = compliant_role(sandbox)
    sandbox.auth()
    aws = sandbox.services()
    counter = count_calls(aws)
    result = verify(REF, spec(role, externalID="not-the-right-one"), aws=aws, inputs=FakeInputs())
    assert conditions(result)["RoleAssumed"] == ("False", "AccessDenied")
    assert conditions(result)["Ready"] == ("False", "AccessDenied")
    assert conditions(result)["Stalled"] == ("True", "AccessDenied")
    assert not result.transient
    message = result.role_assumed.message
    assert f"which runs as {sandbox.operator.arn}" in message
    assert '"Resource":"arn:aws:iam::123456789012:role/capa"' in message  # the operator's policy, filled in
    assert f'"sts:ExternalId":"{EXTERNAL_ID_PLACEHOLDER}"' in message  # the trust statement, placeholder
    assert "not-the-right-one" not in message
    # The confused deputy (issue 14): the operator may read the role, but a provider that could not
    # assume it learns nothing of it (not its trust policy, not its permissions), and awsip does
    # not even ask IAM.
    assert conditions(result)["TrustPolicySecure"] == ("Unknown", "NotVerified")
    assert conditions(result)["PermissionsVerified"] == ("Unknown", "NotVerified")
    assert result.trust is not None and "awsip reads a role only for a provider that can assume it" in (
        result.trust.message
    )
    assert result.trust_status is None and result.permissions_status is None
    assert result.account_id is None and result.assumed_role_arn is None
    assert set(counter.calls()) == {"sts:GetCallerIdentity", "sts:AssumeRole"}


def test_a_role_missing_three_actions_names_exactly_those(sandbox: Sandbox) -> None:
    policy = create_managed_policy(
        sandbox.iam, "capa-minus-three", without_actions(load_profile("capa-minimal"), THREE)
    )
    role = compliant_role(sandbox, managed_policy_arns=[policy])
    sandbox.auth()
    result = verify(REF, spec(role, externalID=EXTERNAL_ID), aws=sandbox.services(), inputs=FakeInputs())
    assert conditions(result)["PermissionsVerified"] == ("False", "MissingPermissions")
    assert conditions(result)["Ready"] == ("False", "MissingPermissions")
    assert conditions(result)["Stalled"] == ("True", "MissingPermissions")
    details = result.permissions_status
    assert details is not None
    assert sorted({m.action for m in details.missing}) == sorted(THREE)
    assert details.missing_actions == 3 and details.required_actions == 107
    assert result.permissions is not None
    message = result.permissions.message
    assert message.startswith("The role lacks 3 of 107 required actions: ")
    assert all(action in message for action in THREE)
    assert "awsip policy print --profile capa-minimal" in message


def test_inline_policies_count(sandbox: Sandbox) -> None:
    policy = create_managed_policy(
        sandbox.iam, "capa-minus-three", without_actions(load_profile("capa-minimal"), THREE)
    )
    extra = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": THREE, "Resource": "*"}]}
    role = compliant_role(sandbox, managed_policy_arns=[policy], inline_policies={"the-rest": extra})
    sandbox.auth()
    result = verify(REF, spec(role, externalID=EXTERNAL_ID), aws=sandbox.services(), inputs=FakeInputs())
    assert conditions(result)["PermissionsVerified"] == ("True", "AllPermissionsGranted")


def test_findings_about_the_role_policies_are_listed_without_changing_ready(sandbox: Sandbox) -> None:
    # capa-minimal itself lists eks:ListClusters/CreateCluster with cluster ARNs (the reference
    # authorizes them against *), and the inline policy has a typo.
    typo = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "ec2:RunInstancez", "Resource": "*"}],
    }
    role = compliant_role(sandbox, inline_policies={"typo": typo})
    sandbox.auth()
    result = verify(REF, spec(role, externalID=EXTERNAL_ID), aws=sandbox.services(), inputs=FakeInputs())
    assert conditions(result)["Ready"] == ("True", "Verified")
    details = result.permissions_status
    assert details is not None
    found = [(f.code, f.action, f.policy) for f in details.findings]
    assert found == [
        ("ResourceTypeMismatch", "eks:ListClusters", sandbox.capa_policy_arn),
        ("ResourceTypeMismatch", "eks:CreateCluster", sandbox.capa_policy_arn),
        ("UnknownAction", "ec2:RunInstancez", "capa/typo"),  # inline policies are named role/policy
    ]
    assert details.finding_count == 3
    assert "did you mean ec2:RunInstances?" in details.findings[2].message
    status = build_status(result, None, generation=1, now=datetime.now(UTC))
    assert status["permissions"]["findingCount"] == 3
    assert status["permissions"]["findings"][2]["code"] == "UnknownAction"


def test_the_permissions_boundary_is_applied(sandbox: Sandbox) -> None:
    # The boundary allows everything but ec2:CreateVpc, which capa-minimal grants.
    everything_but = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "NotAction": "ec2:CreateVpc", "Resource": "*"}],
    }
    boundary = create_managed_policy(sandbox.iam, "boundary", everything_but)
    role = compliant_role(sandbox, boundary_arn=boundary)
    sandbox.auth()
    result = verify(REF, spec(role, externalID=EXTERNAL_ID), aws=sandbox.services(), inputs=FakeInputs())
    assert result.permissions_status is not None
    assert [m.action for m in result.permissions_status.missing] == ["ec2:CreateVpc"]


def test_a_wildcard_trust_principal_is_insecure(sandbox: Sandbox) -> None:
    trust = provider_trust_policy(sandbox.operator.arn, wildcard_principal=True)
    role = compliant_role(sandbox, trust_policy=trust)
    sandbox.auth()
    result = verify(REF, spec(role), aws=sandbox.services(), inputs=FakeInputs())
    assert conditions(result)["RoleAssumed"] == ("True", "AssumeRoleSucceeded")
    assert conditions(result)["TrustPolicySecure"] == ("False", "WildcardPrincipal")
    assert conditions(result)["Ready"] == ("False", "WildcardPrincipal")
    assert conditions(result)["Stalled"] == ("True", "WildcardPrincipal")
    assert result.trust_status is not None
    assert "WildcardPrincipal" in [f.code for f in result.trust_status.findings]


def test_an_external_id_the_trust_policy_does_not_require_is_insecure(sandbox: Sandbox) -> None:
    role = compliant_role(sandbox, external_id=None)
    sandbox.auth()
    result = verify(REF, spec(role, externalID=EXTERNAL_ID), aws=sandbox.services(), inputs=FakeInputs())
    assert conditions(result)["TrustPolicySecure"] == ("False", "ExternalIDNotEnforced")
    assert conditions(result)["Ready"] == ("False", "ExternalIDNotEnforced")


def test_the_external_id_probe_reports_what_aws_accepts(sandbox: Sandbox) -> None:
    # moto accepts an AssumeRole without ExternalId even when the trust policy requires one,
    # which is exactly what the probe is for on a real account whose trust policy is lax.
    role = compliant_role(sandbox)
    sandbox.auth()
    aws = sandbox.services()
    counter = count_calls(aws)
    probing = spec(role, externalID=EXTERNAL_ID, verification={"probeExternalID": True})
    result = verify(REF, probing, aws=aws, inputs=FakeInputs())
    assert conditions(result)["TrustPolicySecure"] == ("False", "ExternalIDNotEnforced")
    assert result.trust_status is not None and result.trust_status.external_id_enforced is False
    assert result.trust_status.findings[0].code == "ExternalIDNotEnforced"
    assert counter.get("sts:AssumeRole") == 2


def test_an_unreachable_endpoint_is_transient(sandbox: Sandbox) -> None:
    role = compliant_role(sandbox)
    sandbox.monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{closed_port()}")
    aws = sandbox.services(connect_timeout=1, read_timeout=1)
    counter = count_calls(aws)
    result = verify(REF, spec(role, externalID=EXTERNAL_ID), aws=aws, inputs=FakeInputs())
    assert result.transient
    assert conditions(result)["RoleAssumed"] == ("Unknown", "AWSUnavailable")
    assert conditions(result)["Ready"] == ("Unknown", "AWSUnavailable")
    assert conditions(result)["Reconciling"] == ("True", "Retrying")
    assert conditions(result)["Stalled"] == ("False", "Retrying")
    assert result.permissions is None and result.trust is None
    assert "EndpointConnectionError" in result.role_assumed.message
    # botocore's standard mode tried three times.
    assert counter.calls() == {"sts:GetCallerIdentity": 1}


def test_the_external_id_from_a_secret(sandbox: Sandbox) -> None:
    role = compliant_role(sandbox)
    sandbox.auth()
    inputs = FakeInputs(secrets={("team-a", "aws-ext", "id"): EXTERNAL_ID})
    from_secret = spec(role, externalIDSecretRef={"name": "aws-ext", "key": "id"})
    result = verify(REF, from_secret, aws=sandbox.services(), inputs=inputs)
    assert conditions(result)["Ready"] == ("True", "Verified")
    assert inputs.reads == [("secret", "team-a", "aws-ext", "id")]


def test_a_missing_secret_is_a_user_error_before_any_aws_call(sandbox: Sandbox) -> None:
    role = compliant_role(sandbox)
    aws = sandbox.services()
    counter = count_calls(aws)
    from_secret = spec(role, externalIDSecretRef={"name": "aws-ext", "key": "id"})
    result = verify(REF, from_secret, aws=aws, inputs=FakeInputs())
    assert conditions(result) == {
        "Ready": ("False", "ExternalIDSecretNotFound"),
        "RoleAssumed": ("False", "ExternalIDSecretNotFound"),
        "PermissionsVerified": ("Unknown", "NotVerified"),
        "TrustPolicySecure": ("Unknown", "NotVerified"),
        "Reconciling": ("False", "VerificationComplete"),
        "Stalled": ("True", "ExternalIDSecretNotFound"),
    }
    assert "Secret team-a/aws-ext, key 'id'" in result.role_assumed.message
    assert counter.total() == 0


def test_an_unreachable_kubernetes_api_is_transient(sandbox: Sandbox) -> None:
    role = compliant_role(sandbox)
    from_secret = spec(role, externalIDSecretRef={"name": "aws-ext", "key": "id"})
    result = verify(REF, from_secret, aws=sandbox.services(), inputs=FakeInputs(unavailable=True))
    assert result.transient
    assert conditions(result)["Ready"] == ("Unknown", "KubernetesUnavailable")


def test_a_required_policy_from_a_configmap(sandbox: Sandbox) -> None:
    role = compliant_role(sandbox)
    sandbox.auth()
    required = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["ec2:CreateVpc", "s3:CreateBucket"], "Resource": "*"}],
    }
    inputs = FakeInputs(configmaps={("team-a", "policy", "policy.json"): json.dumps(required)})
    own = spec(
        role,
        externalID=EXTERNAL_ID,
        requiredPolicy={"configMapRef": {"name": "policy", "key": "policy.json"}},
    )
    result = verify(REF, own, aws=sandbox.services(), inputs=inputs)
    assert conditions(result)["PermissionsVerified"] == ("False", "MissingPermissions")
    assert result.permissions_status is not None
    assert [m.action for m in result.permissions_status.missing] == ["s3:CreateBucket"]
    assert (
        result.permissions is not None
        and "ConfigMap team-a/policy (key 'policy.json')" in result.permissions.message
    )


@pytest.mark.parametrize(
    ("configmaps", "reason"),
    [
        ({}, "PolicyConfigMapNotFound"),
        ({("team-a", "policy", "policy.json"): "{not json"}, "InvalidRequiredPolicy"),
        (
            {("team-a", "policy", "policy.json"): '{"Statement": [{"Effect": "Maybe"}]}'},
            "InvalidRequiredPolicy",
        ),
    ],
)
def test_a_bad_configmap_policy_is_a_user_error(
    sandbox: Sandbox, configmaps: dict[Any, str], reason: str
) -> None:
    role = compliant_role(sandbox)
    sandbox.auth()
    own = spec(
        role,
        externalID=EXTERNAL_ID,
        requiredPolicy={"configMapRef": {"name": "policy", "key": "policy.json"}},
    )
    result = verify(REF, own, aws=sandbox.services(), inputs=FakeInputs(configmaps=configmaps))
    assert conditions(result)["PermissionsVerified"] == ("Unknown", reason)
    assert conditions(result)["RoleAssumed"] == ("True", "AssumeRoleSucceeded")
    assert conditions(result)["Ready"] == ("False", reason)
    assert conditions(result)["Stalled"] == ("True", reason)


def test_policies_nobody_may_read(sandbox: Sandbox) -> None:
    # The seed's minimal setup: the operator may only assume the role, the role has capa-minimal.
    only_assume = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}],
    }
    operator = create_operator_user(sandbox.iam, "minimal-operator", policy=only_assume)
    role = create_provider_role(
        sandbox.iam, "capa", trusted_principal_arn=operator.arn, managed_policy_arns=[sandbox.capa_policy_arn]
    )
    for name, value in operator.environment(sandbox.endpoint).items():
        sandbox.monkeypatch.setenv(name, value)
    sandbox.auth()
    result = verify(REF, spec(role), aws=sandbox.services(), inputs=FakeInputs())
    assert conditions(result)["RoleAssumed"] == ("True", "AssumeRoleSucceeded")
    assert conditions(result)["TrustPolicySecure"][0] == "True"  # GetRole is in capa-minimal
    assert conditions(result)["PermissionsVerified"] == ("Unknown", "CannotReadPolicies")
    assert conditions(result)["Ready"] == ("False", "CannotReadPolicies")
    assert result.permissions is not None
    assert "iam:GetPolicy, iam:ListRolePolicies denied" in result.permissions.message


def test_a_role_that_does_not_exist(sandbox: Sandbox) -> None:
    # moto lets anyone assume a role that does not exist (AWS would deny it); GetRole tells.
    # (Auth mode stays off: moto answers a nonexistent role's session with a 500.)
    result = verify(
        REF, spec("arn:aws:iam::123456789012:role/nope"), aws=sandbox.services(), inputs=FakeInputs()
    )
    assert conditions(result)["Ready"] == ("False", "RoleNotFound")
    assert conditions(result)["TrustPolicySecure"] == ("Unknown", "RoleNotFound")
    assert not result.transient


def test_no_operator_credentials(sandbox: Sandbox) -> None:
    role = compliant_role(sandbox)
    sandbox.monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    sandbox.monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    result = verify(REF, spec(role), aws=sandbox.services(), inputs=FakeInputs())
    # Transient first (issue 14): retried with backoff, nothing about the role decided or dropped.
    assert result.transient
    assert conditions(result)["RoleAssumed"] == ("Unknown", "OperatorCredentialsUnavailable")
    assert conditions(result)["Ready"] == ("Unknown", "OperatorCredentialsUnavailable")
    assert conditions(result)["Stalled"] == ("False", "Retrying")
    assert result.trust is None and result.permissions is None
    assert "NoCredentialsError" in result.role_assumed.message


def test_operator_credentials_aws_does_not_know(sandbox: Sandbox) -> None:
    role = compliant_role(sandbox)
    sandbox.monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAUNKNOWNKEY000000")
    sandbox.auth()
    result = verify(REF, spec(role), aws=sandbox.services(), inputs=FakeInputs())
    assert result.transient
    assert conditions(result)["RoleAssumed"] == ("Unknown", "OperatorCredentialsUnavailable")
    assert "InvalidClientTokenId" in result.role_assumed.message


def test_session_tags_and_the_regional_endpoint(sandbox: Sandbox) -> None:
    role = compliant_role(sandbox)
    sandbox.auth()
    aws = sandbox.services(session_tags=True)
    sent: list[dict[str, Any]] = []
    scopes: list[str] = []
    aws.session.events.register(
        "before-parameter-build.sts.AssumeRole", lambda params, **_: sent.append(dict(params))
    )
    aws.session.events.register(
        "before-send.sts.AssumeRole",
        lambda request, **_: scopes.append(
            request.headers["Authorization"].decode().split("Credential=")[1].split(",")[0]
        ),
    )
    result = verify(REF, spec(role, externalID=EXTERNAL_ID, region="eu-west-1"), aws=aws, inputs=FakeInputs())
    assert conditions(result)["RoleAssumed"] == ("True", "AssumeRoleSucceeded")
    [params] = sent
    assert params["Tags"] == [
        {"Key": "awsip:namespace", "Value": "team-a"},
        {"Key": "awsip:name", "Value": "prod"},
    ]
    assert params["RoleSessionName"] == "awsip-team-a-prod"
    assert params["DurationSeconds"] == 900
    assert [scope.split("/")[2:4] for scope in scopes] == [["eu-west-1", "sts"]]


def test_a_hundred_providers_sharing_a_policy_fetch_its_document_once(sandbox: Sandbox) -> None:
    roles = [compliant_role(sandbox, f"capa-{i:03}") for i in range(100)]
    # moto's auth stays off here: every read succeeds with the role's own session, so the counts
    # are one call per read.
    aws = sandbox.services()
    counter = count_calls(aws)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(
            pool.map(
                lambda role: verify(
                    ProviderRef("team-a", role.rsplit("/", 1)[1]),
                    spec(role, externalID=EXTERNAL_ID, verification={"method": "Local"}),
                    aws=aws,
                    inputs=FakeInputs(),
                ),
                roles,
            )
        )
    assert all(r.verified for r in results)
    calls = counter.calls()
    assert calls["iam:GetPolicyVersion"] == 1
    assert calls["iam:GetPolicy"] == 1  # the default version is remembered for a while too
    assert calls["sts:AssumeRole"] == 100
    assert (aws.policy_cache.hits, aws.policy_cache.misses) == (99, 1)


def test_the_operator_does_not_read_iam_of_another_account(sandbox: Sandbox) -> None:
    own_account_only = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::123456789012:role/*"},
            {"Effect": "Allow", "Action": "iam:*", "Resource": "*"},
        ],
    }
    operator = create_operator_user(sandbox.iam, "own-account-operator", policy=own_account_only)
    # A role of the same name in the operator's account must not be mistaken for the provider's.
    create_provider_role(sandbox.iam, "capa", trusted_principal_arn=operator.arn)
    for name, value in operator.environment(sandbox.endpoint).items():
        sandbox.monkeypatch.setenv(name, value)
    sandbox.auth()
    aws = sandbox.services()
    counter = count_calls(aws)
    result = verify(REF, spec("arn:aws:iam::999999999999:role/capa"), aws=aws, inputs=FakeInputs())
    assert conditions(result)["RoleAssumed"] == ("False", "AccessDenied")
    assert conditions(result)["TrustPolicySecure"] == ("Unknown", "NotVerified")
    assert result.trust is not None and "the role was not assumed" in result.trust.message
    assert set(counter.calls()) == {"sts:GetCallerIdentity", "sts:AssumeRole"}
