"""The table of IAM condition operators: how each compares the context value with the policy values."""

from __future__ import annotations

from dataclasses import dataclass

from awsip.policy.model import Family


@dataclass(frozen=True, slots=True)
class OperatorSpec:
    name: str
    base: str  # the positive operator whose match a negated operator inverts
    family: Family
    negated: bool = False
    wildcards: bool = False  # '*' and '?' are wildcards in the policy values
    variables: bool = False  # policy variables are substituted in the policy values
    ignore_case: bool = False
    arn: bool = False  # ARN matching: wildcards stay within one of the six ':'-separated parts


def _specs() -> dict[str, OperatorSpec]:
    s = Family.STRING
    specs = [
        OperatorSpec("StringEquals", "StringEquals", s, variables=True),
        OperatorSpec("StringNotEquals", "StringEquals", s, negated=True, variables=True),
        OperatorSpec("StringEqualsIgnoreCase", "StringEqualsIgnoreCase", s, variables=True, ignore_case=True),
        OperatorSpec(
            "StringNotEqualsIgnoreCase",
            "StringEqualsIgnoreCase",
            s,
            negated=True,
            variables=True,
            ignore_case=True,
        ),
        OperatorSpec("StringLike", "StringLike", s, wildcards=True, variables=True),
        OperatorSpec("StringNotLike", "StringLike", s, negated=True, wildcards=True, variables=True),
        OperatorSpec("Bool", "Bool", s, ignore_case=True),
        OperatorSpec("BinaryEquals", "BinaryEquals", s),
        OperatorSpec("ArnEquals", "ArnEquals", s, wildcards=True, variables=True, arn=True),
        OperatorSpec("ArnLike", "ArnLike", s, wildcards=True, variables=True, arn=True),
        OperatorSpec("ArnNotEquals", "ArnEquals", s, negated=True, wildcards=True, variables=True, arn=True),
        OperatorSpec("ArnNotLike", "ArnLike", s, negated=True, wildcards=True, variables=True, arn=True),
        OperatorSpec("IpAddress", "IpAddress", Family.IP),
        OperatorSpec("NotIpAddress", "IpAddress", Family.IP, negated=True),
        OperatorSpec("Null", "Null", Family.NULL),
    ]
    for family, prefix in ((Family.NUMERIC, "Numeric"), (Family.DATE, "Date")):
        specs.append(OperatorSpec(f"{prefix}Equals", f"{prefix}Equals", family))
        specs.append(OperatorSpec(f"{prefix}NotEquals", f"{prefix}Equals", family, negated=True))
        for comparison in ("LessThan", "LessThanEquals", "GreaterThan", "GreaterThanEquals"):
            specs.append(OperatorSpec(f"{prefix}{comparison}", f"{prefix}{comparison}", family))
    return {spec.name.lower(): spec for spec in specs}


OPERATORS: dict[str, OperatorSpec] = _specs()

#: Context keys that AWS documents as multivalued (the request may carry several values).
#: Keys used with ForAnyValue/ForAllValues in the policies being compared are multivalued too.
MULTIVALUED_KEYS: frozenset[str] = frozenset(
    key.lower()
    for key in (
        "aws:TagKeys",
        "aws:CalledVia",
        "aws:PrincipalServiceNamesList",
        "aws:PrincipalOrgPaths",
        "kms:ResourceAliases",
        "kms:GrantOperations",
        "kms:EncryptionContextKeys",
    )
)


def spec_for(base: str) -> OperatorSpec:
    return OPERATORS[base.lower()]
