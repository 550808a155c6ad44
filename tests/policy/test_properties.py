"""Differential property tests against the naive reference evaluator (tests/policy/reference.py).

1. simulate() agrees with the reference on random policies and random requests.
2. check_coverage() is sound: ``Covered`` means every sampled request inside the required statement
   is allowed (by the reference), and ``NotCovered`` comes with a witness inside the required
   statement that the reference denies.

Small alphabets make overlaps between random patterns likely; example counts are modest so that
the whole policy suite stays fast.
"""

from __future__ import annotations

import os
import random
import re
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from awsip.catalog import default_catalog
from awsip.catalog.arn_formats import COLON_FREE_NAMES
from awsip.policy import Request, check_coverage, parse_policy, simulate

from . import reference

ACTIONS = [
    "s3:GetObject",
    "s3:PutObject",
    "s3:getobject",
    "ec2:RunInstances",
    "ec2:DescribeVpcs",
    "sts:GetCallerIdentity",
]
ACTION_PATTERNS = [
    "*",
    "s3:*",
    "s3:Get*",
    "s3:?etObject",
    "S3:GETOBJECT",
    "ec2:*",
    "ec2:Describe*",
    "ec2:Run?nstances",
]
RESOURCE_PIECES = ["a", "b", ":", "/", "*", "?", "ab", "arn:"]
#: ARN-shaped pieces, so that required statements name resources of the actions' types (then the
#: catalog shapes the requests) as often as they name none (then the formal check applies).
ARN_PIECES = ["arn:aws:s3:::", "arn:*:ec2:*:*:", "instance/", "vpc/", "arn:aws-cn:", "*:"]
FILL = "ab:/x"

STRING_VALUES = ["a", "b", "A", "a*", "*b", "?", "ab"]
CONDITIONS: list[tuple[str, str, list[str]]] = [
    ("StringEquals", "test:s", STRING_VALUES),
    ("StringNotEquals", "test:s", STRING_VALUES),
    ("StringEqualsIgnoreCase", "test:s", STRING_VALUES),
    ("StringNotEqualsIgnoreCase", "test:s", STRING_VALUES),
    ("StringLike", "test:s", STRING_VALUES),
    ("StringNotLike", "test:s", STRING_VALUES),
    ("StringLikeIfExists", "test:s", STRING_VALUES),
    ("StringNotEqualsIfExists", "test:s", STRING_VALUES),
    ("Null", "test:s", ["true", "false"]),
    ("NumericLessThan", "test:n", ["1", "2", "3"]),
    ("NumericGreaterThanEquals", "test:n", ["1", "2", "3"]),
    ("NumericEquals", "test:n", ["1", "2"]),
    ("NumericNotEquals", "test:n", ["1", "2"]),
    ("NumericLessThanIfExists", "test:n", ["2"]),
    ("Bool", "test:b", ["true", "false"]),
    ("BoolIfExists", "test:b", ["true", "false"]),
    ("IpAddress", "test:ip", ["10.0.0.0/8", "10.1.0.0/16"]),
    ("NotIpAddress", "test:ip", ["10.0.0.0/8", "10.1.0.0/16"]),
    ("ForAnyValue:StringEquals", "test:m", ["a", "b"]),
    ("ForAnyValue:StringLike", "test:m", ["a*", "b"]),
    ("ForAllValues:StringEquals", "test:m", ["a", "b"]),
    ("ForAllValues:StringLike", "test:m", ["a*"]),
    ("ForAnyValue:StringNotEquals", "test:m", ["a"]),
    ("ForAllValues:StringNotLike", "test:m", ["b*"]),
    ("StringEquals", "test:t", ["${test:v}", "a"]),  # a policy variable in a condition
]
CONTEXT_VALUES: dict[str, list[Any]] = {
    "test:s": ["a", "b", "A", "ab", "ba", "x", "?"],
    "test:n": ["0", "1", "2", "3", "1.5", "x"],
    "test:b": ["true", "false", "TRUE", "x"],
    "test:ip": ["10.0.0.1", "10.1.2.3", "192.168.0.1", "x"],
    "test:m": [["a"], ["a", "b"], ["x"], ["ab", "x"], ["b"], ["b", "ba"]],
    "test:t": ["a", "b", "ab"],
    "test:v": ["a", "b", "ab"],
}


@st.composite
def resource_patterns(draw: st.DrawFn, variables: bool) -> str:
    pieces = list(RESOURCE_PIECES) + (["${test:v}", "${*}"] if variables else [])
    if draw(st.booleans()):
        pieces += ARN_PIECES
    return "".join(draw(st.lists(st.sampled_from(pieces), min_size=1, max_size=5)))


@st.composite
def conditions(draw: st.DrawFn, variables: bool) -> dict[str, Any]:
    options = CONDITIONS if variables else CONDITIONS[:-1]
    chosen = draw(st.lists(st.sampled_from(options), max_size=2, unique_by=lambda c: (c[0], c[1])))
    block: dict[str, Any] = {}
    for operator, key, values in chosen:
        picked = draw(st.lists(st.sampled_from(values), min_size=1, max_size=2, unique=True))
        block.setdefault(operator, {})[key] = picked if len(picked) > 1 else picked[0]
    return block


@st.composite
def statements(draw: st.DrawFn, *, required: bool = False) -> dict[str, Any]:
    variables = not required
    effect = "Allow" if required else draw(st.sampled_from(["Allow", "Allow", "Deny"]))
    statement: dict[str, Any] = {"Effect": effect}
    actions = draw(st.lists(st.sampled_from(ACTION_PATTERNS + ACTIONS), min_size=1, max_size=2, unique=True))
    if not required and draw(st.integers(0, 5)) == 0:
        statement["NotAction"] = actions
    else:
        statement["Action"] = actions
    resources = draw(st.lists(resource_patterns(variables), min_size=1, max_size=2, unique=True))
    if draw(st.integers(0, 4)) == 0:
        statement["NotResource"] = resources
    elif draw(st.integers(0, 3)) == 0:
        statement["Resource"] = "*"
    else:
        statement["Resource"] = resources
    block = draw(conditions(variables))
    if block:
        statement["Condition"] = block
    return statement


@st.composite
def documents(draw: st.DrawFn, *, required: bool = False, max_size: int = 3) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": draw(st.lists(statements(required=required), min_size=1, max_size=max_size)),
    }


def random_context(rng: random.Random) -> dict[str, Any]:
    context: dict[str, Any] = {}
    for key, values in CONTEXT_VALUES.items():
        if rng.random() < 0.6:
            context[key] = rng.choice(values)
    return context


def fill(pattern: str, rng: random.Random, ignore_case: bool = False) -> str:
    """A random string of the pattern's language ('*' and '?' filled in)."""
    out = []
    for char in pattern:
        if char == "*":
            out.append("".join(rng.choice(FILL) for _ in range(rng.randint(0, 3))))
        elif char == "?":
            out.append(rng.choice(FILL))
        else:
            out.append(char.swapcase() if ignore_case and rng.random() < 0.2 else char)
    return "".join(out)


def sample_action(statement: dict[str, Any], label: str, rng: random.Random) -> str:
    """An action of the required statement: a known action it matches, or its pattern filled in."""
    if label.startswith("NotAction: "):
        pool = [
            a
            for a in ACTIONS
            if reference.statement_applies({**statement, "Resource": "*", "Condition": {}}, a, "x", {})
        ]
        return rng.choice(pool) if pool and rng.random() < 0.8 else fill("*", rng)
    pattern = reference.tokens(label, {}, True, "Allow") or []
    pool = [a for a in ACTIONS if reference.match(pattern, a, True)]
    return rng.choice(pool) if pool and rng.random() < 0.8 else fill(label, rng, ignore_case=True)


def as_request(action: str, resource: str, context: dict[str, Any]) -> Request:
    return Request(action, resource, context)


#: Modest by default; AWSIP_POLICY_EXAMPLES=5000 for a long bug hunt.
FAST = settings(
    max_examples=int(os.environ.get("AWSIP_POLICY_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.large_base_example, HealthCheck.data_too_large],
)


@FAST
@given(
    st.lists(documents(), min_size=1, max_size=2),
    st.one_of(st.none(), documents()),
    st.sampled_from(ACTIONS),
    st.text(alphabet="ab:/x", max_size=6),
    st.integers(0, 2**32),
)
def test_simulate_agrees_with_the_reference(
    policies: list[dict[str, Any]], boundary: dict[str, Any] | None, action: str, resource: str, seed: int
) -> None:
    rng = random.Random(seed)
    parsed = [parse_policy(p, name=f"p{i}") for i, p in enumerate(policies)]
    parsed_boundary = None if boundary is None else parse_policy(boundary, name="boundary")
    for _ in range(8):
        context = random_context(rng)
        if "test:v" in context and rng.random() < 0.5:
            resource = fill(rng.choice(["a", "ab", "b"]), rng)
        decision = simulate(parsed, Request(action, resource, context), boundary=parsed_boundary)
        expected = reference.decide(policies, action, resource, context, boundary)
        event(expected)
        assert decision.decision == expected, (action, resource, context)


def _required_statement(required: dict[str, Any], label: str) -> dict[str, Any]:
    index = int(label.removeprefix("statement #"))
    statement: dict[str, Any] = required["Statement"][index]
    return statement


@FAST
@given(
    documents(required=True, max_size=2),
    st.lists(documents(), min_size=1, max_size=2),
    st.one_of(st.none(), st.none(), documents(max_size=2)),
    st.integers(0, 2**32),
)
def test_coverage_is_sound_against_the_reference(
    required: dict[str, Any], policies: list[dict[str, Any]], boundary: dict[str, Any] | None, seed: int
) -> None:
    check_sound(required, policies, boundary, random.Random(seed))


def check_sound(
    required: dict[str, Any],
    policies: list[dict[str, Any]],
    boundary: dict[str, Any] | None,
    rng: random.Random,
) -> None:
    parsed_required = parse_policy(required, name="required")
    parsed = [parse_policy(p, name=f"p{i}") for i, p in enumerate(policies)]
    parsed_boundary = None if boundary is None else parse_policy(boundary, name="boundary")
    report = check_coverage(parsed_required, parsed, boundary=parsed_boundary)
    for result in report.results:
        event(f"{result.status} ({result.requests})")
        statement = _required_statement(required, result.statement)
        shapes = _catalog_shapes(result)
        if result.status == "NotCovered":
            witness = result.witness
            assert witness is not None
            context = dict(witness.context)
            if shapes is not None:  # a request AWS could make: an ARN of the action's types, or '*'
                regexes, star = shapes
                assert (star and witness.resource == "*") or any(
                    r.fullmatch(witness.resource) for r in regexes
                )
            # The witness lies inside the required statement...
            assert reference.statement_applies(statement, witness.action, witness.resource, context), result
            assert reference.match(
                reference.tokens(result.action, {}, True, "Allow") or [], witness.action, True
            )
            # ...and is really denied.
            assert (
                reference.decide(policies, witness.action, witness.resource, context, boundary) != "Allowed"
            )
        elif result.status == "Covered":
            resources = statement.get("Resource", ["*"])
            resources = resources if isinstance(resources, list) else [resources]
            checked = 0
            for _ in range(60):
                action = sample_action(statement, result.action, rng)
                if not re.fullmatch(r"[^:]+:.+", action, re.DOTALL):
                    continue  # not "service:name": coverage is about well-formed actions
                resource = fill(rng.choice(resources), rng) if "Resource" in statement else fill("*", rng)
                if shapes is not None:
                    # Covered about the requests AWS can make: sample those (the formats, or '*').
                    resource = _catalog_resource(result.action, rng)
                context = random_context(rng)
                if not reference.statement_applies(statement, action, resource, context):
                    continue
                checked += 1
                decision = reference.decide(policies, action, resource, context, boundary)
                assert decision == "Allowed", (result, action, resource, context)
            # A catalog-shaped result may concern few strings of a narrow required pattern.
            assert checked or statement.get("Condition") or "NotResource" in statement or shapes is not None


def _catalog_shapes(result: Any) -> tuple[list[re.Pattern[str]], bool] | None:
    """For a result about the requests AWS can make: the resources they name (the reference's own
    reading of the action's ARN formats) and whether '*' is one of them."""
    if result.requests != "catalog":
        return None
    catalog = default_catalog()
    known = catalog.action(result.action)
    assert known is not None, result
    partitions = list(catalog.partition_names)
    colon_free = known.service in COLON_FREE_NAMES
    return [reference.format_regex(f.text, partitions, colon_free) for f in known.formats], known.star


def _catalog_resource(action: str, rng: random.Random) -> str:
    catalog = default_catalog()
    known = catalog.action(action)
    assert known is not None
    choices = [f.text for f in known.formats] + (["*"] if known.star else [])
    chosen = rng.choice(choices)
    return "*" if chosen == "*" else reference.random_arn(chosen, list(catalog.partition_names), rng, FILL)


@st.composite
def related_documents(draw: st.DrawFn, required: dict[str, Any]) -> dict[str, Any]:
    """Policies close to the required one: copies, broadened, split, plus random extra statements."""
    out: list[dict[str, Any]] = []
    for original in required["Statement"]:
        statement = dict(original)
        mode = draw(st.sampled_from(["same", "broaden", "split", "loosen", "narrow", "drop"]))
        resources = statement.get("Resource", "*")
        resources = resources if isinstance(resources, list) else [resources]
        if mode == "broaden" and "Resource" in statement:
            statement["Resource"] = [
                draw(st.sampled_from([p + "*", "*" + p, "*", p.replace("a", "?", 1)])) for p in resources
            ]
        elif mode == "split" and "Resource" in statement:
            for pattern in resources:
                out.append({**statement, "Resource": pattern})
            continue
        elif mode == "loosen":
            statement.pop("Condition", None)
        elif mode == "narrow":
            statement["Condition"] = {**statement.get("Condition", {}), **draw(conditions(False))}
        elif mode == "drop":
            continue
        out.append(statement)
    out += draw(st.lists(statements(), max_size=1))
    if draw(st.integers(0, 3)) == 0:
        # A Deny on one concrete action: catches coverage that forgets a narrower Deny.
        resources = required["Statement"][0].get("Resource", "*")
        out.append({"Effect": "Deny", "Action": draw(st.sampled_from(ACTIONS)), "Resource": resources})
    if not out:
        out.append({"Effect": "Allow", "Action": "*", "Resource": "*"})
    return {"Version": "2012-10-17", "Statement": out}


@FAST
@given(documents(required=True, max_size=2), st.data(), st.integers(0, 2**32))
def test_coverage_is_sound_on_policies_close_to_the_required_one(
    required: dict[str, Any], data: st.DataObject, seed: int
) -> None:
    policies = data.draw(st.lists(related_documents(required), min_size=1, max_size=2))
    boundary = data.draw(st.one_of(st.none(), related_documents(required)))
    check_sound(required, policies, boundary, random.Random(seed))
