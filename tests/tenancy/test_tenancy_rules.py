"""Tenancy rules: parsing every rule form, and the decisions they lead to."""

from __future__ import annotations

import textwrap

import pytest

from awsip.tenancy import TenancyConfigError, TenancyRules, parse_tenancy_rules

TEAM_A = "111122223333"
TEAM_B = "444455556666"
SHARED = "999988887777"

RULES = textwrap.dedent(
    f"""
    rules:
      - name: team-a
        namespaces: ["team-a", "team-a-*"]
        accounts: ["{TEAM_A}"]
      - name: team-b-by-label
        namespaceSelector:
          matchLabels: {{team: b}}
          matchExpressions:
            - {{key: env, operator: NotIn, values: [prod]}}
        accounts: [{TEAM_B}]                     # unquoted: YAML reads an integer
      - name: shared-capa-roles
        namespaces: ["team-?"]
        namespaceSelector:
          matchExpressions:
            - {{key: shared, operator: Exists}}
        roleARNs: ["arn:aws:iam::{SHARED}:role/capa-*"]
      - name: unused
        accounts: ["{SHARED}"]
    """
)


@pytest.fixture(scope="module")
def rules() -> TenancyRules:
    return parse_tenancy_rules(RULES)


def arn(account: str, name: str = "capa-manager") -> str:
    return f"arn:aws:iam::{account}:role/{name}"


@pytest.mark.parametrize(
    ("namespace", "labels", "role", "rule"),
    [
        # namespaces globs
        ("team-a", {}, arn(TEAM_A), "team-a"),
        ("team-a-dev", {}, arn(TEAM_A, "anything"), "team-a"),
        ("team-ab", {}, arn(TEAM_A), None),
        ("team-a", {}, arn(TEAM_B), None),
        ("TEAM-A", {}, arn(TEAM_A), None),  # namespace names are case-sensitive
        # namespaceSelector: matchLabels and matchExpressions must all hold
        ("payments", {"team": "b"}, arn(TEAM_B), "team-b-by-label"),
        ("payments", {"team": "b", "env": "dev"}, arn(TEAM_B), "team-b-by-label"),
        ("payments", {"team": "b", "env": "prod"}, arn(TEAM_B), None),
        ("payments", {"team": "c"}, arn(TEAM_B), None),
        ("team-b", {}, arn(TEAM_B), None),
        # names OR selector: either suffices
        ("team-x", {}, arn(SHARED, "capa-1"), "shared-capa-roles"),
        ("elsewhere", {"shared": ""}, arn(SHARED, "capa-2"), "shared-capa-roles"),
        ("elsewhere", {}, arn(SHARED, "capa-2"), None),
        # roleARNs globs are case-sensitive and anchored
        ("team-x", {}, arn(SHARED, "CAPA-1"), None),
        ("team-x", {}, arn(SHARED, "admin"), None),
        ("team-x", {}, arn(SHARED, "capa-1") + "/x", "shared-capa-roles"),
        ("team-x", {}, f"arn:aws-cn:iam::{SHARED}:role/capa-1", None),
        # the first permitting rule is named
        ("team-a", {"shared": "yes"}, arn(TEAM_A), "team-a"),
        # a rule with neither namespaces nor selector applies nowhere
        ("anything", {}, arn(SHARED, "x"), None),
        # not an IAM role ARN
        ("team-a", {}, "not-an-arn", None),
        ("team-a", {}, f"arn:aws:s3:::{TEAM_A}", None),
    ],
)
def test_permits(
    rules: TenancyRules, namespace: str, labels: dict[str, str], role: str, rule: str | None
) -> None:
    decision = rules.permits(namespace, labels, role)
    assert decision.allowed is (rule is not None)
    assert decision.rule == rule
    assert f'"{namespace}"' in decision.message


def test_denial_message_tells_the_tenant_what_to_ask_for(rules: TenancyRules) -> None:
    decision = rules.permits("finance", {}, arn(TEAM_A))
    assert decision.message.startswith(
        f'namespace "finance" may not use account {TEAM_A} (role {arn(TEAM_A)}): no tenancy rule permits it; '
        "ask a cluster administrator to add a rule"
    )
    assert "No rule applies to this namespace at all" in decision.message


def test_denial_message_lists_what_the_applicable_rules_allow(rules: TenancyRules) -> None:
    decision = rules.permits("team-a", {"shared": "1"}, arn(TEAM_B))
    assert '"team-a", "shared-capa-roles"' in decision.message
    assert TEAM_A in decision.message
    assert f"arn:aws:iam::{SHARED}:role/capa-*" in decision.message


def test_denial_message_for_a_non_role_arn(rules: TenancyRules) -> None:
    decision = rules.permits("team-a", {}, "garbage")
    assert not decision.allowed
    assert "is not an IAM role ARN" in decision.message


def test_allowed_message_names_the_rule(rules: TenancyRules) -> None:
    decision = rules.permits("team-a", {}, arn(TEAM_A))
    assert (
        decision.message
        == f'tenancy rule "team-a" permits namespace "team-a" to use account {TEAM_A} (role {arn(TEAM_A)})'
    )


def test_warnings_name_rules_that_apply_nowhere(rules: TenancyRules) -> None:
    assert rules.warnings == [
        "rule 'unused' has neither namespaces nor namespaceSelector, so it applies to no namespace"
    ]
    assert not rules.empty


@pytest.mark.parametrize(
    "text", ["", "   \n", "# only a comment\n", "---\n", "rules:\n", "rules: []\n", "rules: null"]
)
def test_no_rules_allow_everything(text: str) -> None:
    rules = parse_tenancy_rules(text)
    assert rules.empty
    decision = rules.permits("anyone", {}, "arn:aws:iam::123456789012:role/whatever")
    assert decision.allowed
    assert decision.rule is None
    assert "no tenancy rules" in decision.message


def test_empty_selector_matches_every_namespace() -> None:
    rules = parse_tenancy_rules(f"rules: [{{name: all, namespaceSelector: {{}}, accounts: ['{SHARED}']}}]")
    assert rules.permits("whatever", {"a": "b"}, arn(SHARED)).allowed
    assert not rules.permits("whatever", {}, arn(TEAM_A)).allowed


def test_role_arn_star_permits_every_role() -> None:
    rules = parse_tenancy_rules("rules: [{name: admins, namespaces: [platform], roleARNs: ['*']}]")
    assert rules.permits("platform", {}, "anything at all").allowed
    assert not rules.permits("team-a", {}, arn(TEAM_A)).allowed


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("rules: [{name: x, namespaces: [a]}]", "rules[0] (x): the rule permits nothing"),
        ("rules: [{name: x, namespaces: [a], accounts: [], roleARNs: []}]", "the rule permits nothing"),
        (
            "rules: [{namespaces: [a], accounts: ['111122223333']}]",
            "rules[0].name: required field is missing",
        ),
        ("rules: [{name: '', accounts: ['111122223333']}]", "rule name '' must be"),
        (
            "rules: [{name: x, namespace: [a], accounts: ['111122223333']}]",
            "rules[0] (x).namespace: unknown field",
        ),
        (
            "rules: [{name: x, namespaces: [Team_A], accounts: ['111122223333']}]",
            "namespace pattern 'Team_A'",
        ),
        (
            "rules: [{name: x, namespaces: team-a, accounts: ['111122223333']}]",
            "rules[0] (x).namespaces: must be a list",
        ),
        ("rules: [{name: x, accounts: ['1234']}]", "account '1234' is not an AWS account ID"),
        ("rules: [{name: x, accounts: [011122223333]}]", "write account IDs as quoted strings"),
        ("rules: [{name: x, accounts: [1234]}]", "account 1234 is not 12 digits"),
        ("rules: [{name: x, accounts: [true]}]", "rules[0] (x).accounts[0]: must be a string"),
        ("rules: [{name: x, roleARNs: ['capa-*']}]", "role ARN pattern 'capa-*' is not an IAM role ARN"),
        ("rules: [{name: x, roleARNs: ['arn:aws:s3:::bucket']}]", "is not an IAM role ARN"),
        (
            "rules: [{name: x, namespaceSelector: {matchLabels: {team: [a]}}, accounts: ['111122223333']}]",
            "rules[0] (x).namespaceSelector.matchLabels.team: must be a string",
        ),
        (
            "rules: [{name: x, namespaceSelector: {matchLabels: {'bad key!': a}}, accounts: ['111122223333']}]",
            "is not a valid label name",
        ),
        (
            "rules: [{name: x, namespaceSelector: {matchLabels: {team: 'a b'}}, accounts: ['111122223333']}]",
            "label value 'a b' is not valid",
        ),
        (
            "rules: [{name: x, namespaceSelector: {matchExpressions: [{key: a, operator: In}]}, "
            "accounts: ['111122223333']}]",
            "operator In needs at least one value",
        ),
        (
            "rules: [{name: x, namespaceSelector: {matchExpressions: [{key: a, operator: Exists, values: [b]}]}, "
            "accounts: ['111122223333']}]",
            "operator Exists takes no values",
        ),
        (
            "rules: [{name: x, namespaceSelector: {matchExpressions: [{key: a, operator: Equals, values: [b]}]}, "
            "accounts: ['111122223333']}]",
            "matchExpressions[0].operator",
        ),
        (
            "rules: [{name: a, accounts: ['111122223333']}, {name: a, accounts: ['111122223333']}]",
            "two rules are named 'a'",
        ),
        ("- name: a\n", "must be a mapping with a 'rules' list, not a list"),
        ("just text", "not a string"),
        ("rules: {name: a}", "rules: must be a list"),
        ("rule: []", "rule: unknown field"),
        ("rules: [1]", "rules[0]: must be a mapping"),
        ("rules: [{name: x, accounts: ['111122223333']}\n", "not valid YAML"),
        ("a: !!python/object:os.system {}", "not valid YAML"),
        ("a: 2024-02-30", "not valid YAML"),
        ("\t- tab", "not valid YAML"),
    ],
)
def test_invalid_rules_are_explained(text: str, fragment: str) -> None:
    with pytest.raises(TenancyConfigError) as caught:
        parse_tenancy_rules(text)
    assert fragment in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_many_errors_are_summarised() -> None:
    text = "rules:\n" + "".join(f"  - {{name: r{i}, accounts: ['bad']}}\n" for i in range(30))
    with pytest.raises(TenancyConfigError) as caught:
        parse_tenancy_rules(text)
    assert "(and 20 more)" in str(caught.value)


def test_not_a_string() -> None:
    with pytest.raises(TenancyConfigError):
        parse_tenancy_rules(b"rules: []")  # type: ignore[arg-type]
