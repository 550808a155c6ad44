"""Fuzzing the tenancy rules: parsing fails only with TenancyConfigError, decisions match an oracle."""

from __future__ import annotations

import contextlib
import fnmatch
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from awsip.tenancy import TenancyConfigError, TenancyRule, TenancyRules, parse_tenancy_rules

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.text(max_size=400))
def test_arbitrary_text_raises_only_tenancy_config_error(text: str) -> None:
    try:
        rules = parse_tenancy_rules(text)
    except TenancyConfigError as error:
        assert str(error)
    else:
        assert isinstance(rules, TenancyRules)


yaml_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
yaml_values = st.recursive(
    yaml_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=25,
)

YAML_SNIPPETS = [
    "rules:\n",
    "  - name: a\n",
    "    namespaces: [",
    "team-*",
    "]\n",
    "    accounts: [111122223333]\n",
    "    roleARNs: ['arn:aws:iam::111122223333:role/*']\n",
    "    namespaceSelector: {matchLabels: {a: b}}\n",
    "&x ",
    "*x",
    "!!binary ",
    "!!python/name:os.system",
    "<<: ",
    "? ",
    "- ",
    ": ",
    "{",
    "}",
    "'",
    '"',
    "\t",
    "\n",
    "2024-02-30",
    "0o777",
    ".inf",
    "~",
]


@FUZZ
@given(st.lists(st.sampled_from(YAML_SNIPPETS) | st.text(max_size=5), max_size=30))
def test_yaml_fragments_raise_only_tenancy_config_error(parts: list[str]) -> None:
    with contextlib.suppress(TenancyConfigError):
        parse_tenancy_rules("".join(parts))


@FUZZ
@given(yaml_values)
def test_arbitrary_yaml_documents(document: Any) -> None:
    for text in (yaml.safe_dump(document), yaml.safe_dump({"rules": document})):
        with contextlib.suppress(TenancyConfigError):
            parse_tenancy_rules(text)


# --- valid rules, checked against an independent oracle ------------------------------------

ACCOUNTS = ["111122223333", "444455556666", "999988887777"]
NAMESPACES = ["team-a", "team-b", "team-a-dev", "platform", "x"]
LABEL_KEYS = ["team", "env", "example.com/tier"]
LABEL_VALUES = ["a", "b", "prod", ""]

namespace_globs = st.sampled_from(["team-a", "team-*", "team-?", "*", "*-dev", "platform", "x*y"])
role_globs = st.sampled_from(
    [
        "*",
        "arn:aws:iam::111122223333:role/*",
        "arn:aws:iam::*:role/capa-*",
        "arn:aws:iam::444455556666:role/capa-[x]",
        "arn:*:iam::999988887777:role/?",
    ]
)
requirements = st.one_of(
    st.fixed_dictionaries(
        {
            "key": st.sampled_from(LABEL_KEYS),
            "operator": st.sampled_from(["In", "NotIn"]),
            "values": st.lists(st.sampled_from(LABEL_VALUES), min_size=1, max_size=3),
        }
    ),
    st.fixed_dictionaries(
        {"key": st.sampled_from(LABEL_KEYS), "operator": st.sampled_from(["Exists", "DoesNotExist"])}
    ),
)
selectors = st.fixed_dictionaries(
    {},
    optional={
        "matchLabels": st.dictionaries(
            st.sampled_from(LABEL_KEYS), st.sampled_from(LABEL_VALUES), max_size=2
        ),
        "matchExpressions": st.lists(requirements, max_size=2),
    },
)


@st.composite
def rule_dicts(draw: st.DrawFn, index: int) -> dict[str, Any]:
    rule: dict[str, Any] = {"name": f"rule-{index}"}
    if draw(st.booleans()):
        rule["namespaces"] = draw(st.lists(namespace_globs, max_size=3))
    if draw(st.booleans()):
        rule["namespaceSelector"] = draw(selectors)
    accounts = draw(st.lists(st.sampled_from(ACCOUNTS), max_size=2))
    roles = draw(st.lists(role_globs, min_size=0 if accounts else 1, max_size=2))
    if accounts:
        rule["accounts"] = accounts
    if roles:
        rule["roleARNs"] = roles
    return rule


rule_lists = st.integers(0, 5).flatmap(lambda n: st.tuples(*(rule_dicts(i) for i in range(n))))
role_arns = st.one_of(
    st.builds(
        lambda a, n: f"arn:aws:iam::{a}:role/{n}",
        st.sampled_from(ACCOUNTS),
        st.sampled_from(["capa-1", "x", "capa-[x]", "a"]),
    ),
    st.text(max_size=30),
)
labels = st.dictionaries(st.sampled_from(LABEL_KEYS), st.sampled_from(LABEL_VALUES), max_size=3)


def _glob(pattern: str, text: str) -> bool:
    return fnmatch.fnmatchcase(text, pattern.replace("[", "[[]"))


def _oracle_selector(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    for key, value in selector.get("matchLabels", {}).items():
        if labels.get(key) != value:
            return False
    for requirement in selector.get("matchExpressions", []):
        key, operator = requirement["key"], requirement["operator"]
        values = requirement.get("values", [])
        ok = {
            "In": key in labels and labels[key] in values,
            "NotIn": key not in labels or labels[key] not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }[operator]
        if not ok:
            return False
    return True


def _oracle(
    rules: tuple[dict[str, Any], ...], namespace: str, labels: dict[str, str], role: str
) -> str | None:
    parts = role.split(":")
    account = parts[4] if len(parts) >= 6 and parts[0] == "arn" and parts[2] == "iam" else None
    for rule in rules:
        applies = any(_glob(p, namespace) for p in rule.get("namespaces", [])) or (
            "namespaceSelector" in rule and _oracle_selector(rule["namespaceSelector"], labels)
        )
        permits = account in rule.get("accounts", []) or any(_glob(p, role) for p in rule.get("roleARNs", []))
        if applies and permits:
            return str(rule["name"])
    return None


@FUZZ
@given(rules=rule_lists, namespace=st.sampled_from(NAMESPACES), labels=labels, role=role_arns)
def test_decisions_match_the_oracle(
    rules: tuple[dict[str, Any], ...], namespace: str, labels: dict[str, str], role: str
) -> None:
    parsed = parse_tenancy_rules(yaml.safe_dump({"rules": list(rules)}))
    decision = parsed.permits(namespace, labels, role)
    if not rules:
        assert decision.allowed and decision.rule is None
        return
    expected = _oracle(rules, namespace, labels, role)
    assert decision.rule == expected
    assert decision.allowed is (expected is not None)
    assert decision.message


@FUZZ
@given(
    rules=rule_lists,
    extra=rule_dicts(99),
    namespace=st.sampled_from(NAMESPACES),
    labels=labels,
    role=role_arns,
)
def test_adding_a_rule_never_revokes(
    rules: tuple[dict[str, Any], ...],
    extra: dict[str, Any],
    namespace: str,
    labels: dict[str, str],
    role: str,
) -> None:
    before = parse_tenancy_rules(yaml.safe_dump({"rules": list(rules)}))
    after = parse_tenancy_rules(yaml.safe_dump({"rules": [*rules, extra]}))
    if before.permits(namespace, labels, role).allowed and not before.empty:
        assert after.permits(namespace, labels, role).allowed


def test_models_round_trip() -> None:
    rule = TenancyRule.model_validate(
        {
            "name": "r",
            "namespaces": ["a"],
            "namespaceSelector": {"matchLabels": {"a": "b"}},
            "accounts": [111122223333],
        }
    )
    assert rule.accounts == ("111122223333",)
    dumped = rule.model_dump(by_alias=True)
    assert TenancyRule.model_validate(dumped) == rule
