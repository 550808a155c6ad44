"""``awsip policy``: check, simulate and print IAM policies offline (no AWS calls).

- ``awsip policy check``: do these policies (and boundary) grant everything the required policy
  grants? Exit 0 when covered, 1 when something is missing or undecided, 2 on bad input.
- ``awsip policy simulate``: the decision for one request. Exit 0 when allowed, 1 when denied.
- ``awsip policy print``: the documents a provider role needs, with the placeholders filled in
  (like ``clusterawsadm bootstrap iam print-policy``; :mod:`awsip.commands.policy_print`).
- ``awsip policy catalog ACTION``: what the authorization catalog knows about an action (resource
  types, ARN formats, condition keys), so a user can see why a verdict came out as it did.

The policy engine is imported when ``check`` or ``simulate`` runs, not when the parser is built.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from awsip.commands import policy_print, policy_text
from awsip.profiles import PROFILES, UnknownProfileError, load_profile

if TYPE_CHECKING:
    from awsip.policy import PolicyDocument
    from awsip.policy.findings import PolicyFinding

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


class _BadInput(Exception):
    pass


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "policy",
        help="check, simulate and print IAM policies offline",
        description="Evaluate IAM policy documents offline with awsip's policy engine (no AWS calls).",
    )
    commands = parser.add_subparsers(dest="policy_command", metavar="ACTION", required=True)

    check = commands.add_parser(
        "check",
        help="do the policies grant everything the required policy grants?",
        description="Check that identity policies (and an optional permissions boundary) allow every "
        "request the required policy allows. Exit 0 when covered, 1 when something is missing or "
        "cannot be decided, 2 on bad input.",
    )
    _policy_arguments(check)
    source = check.add_mutually_exclusive_group()
    source.add_argument("--required", metavar="FILE", help="the required policy document")
    source.add_argument(
        "--profile",
        default="capa-minimal",
        choices=PROFILES,
        help="a built-in required policy (default: %(default)s)",
    )
    check.add_argument("--output", choices=("text", "json"), default="text")
    check.set_defaults(func=run_check)

    sim = commands.add_parser(
        "simulate",
        help="the decision for one request",
        description="Evaluate one request: Allowed, ImplicitDeny or ExplicitDeny, with the deciding "
        "statements. Exit 0 when allowed, 1 when denied, 2 on bad input.",
    )
    _policy_arguments(sim)
    sim.add_argument("--action", required=True, help="e.g. ec2:RunInstances")
    sim.add_argument("--resource", required=True, help="the resource ARN (or *)")
    sim.add_argument(
        "--context",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a context key; repeat a key for a multivalued key",
    )
    sim.add_argument("--output", choices=("text", "json"), default="text")
    sim.set_defaults(func=run_simulate)

    policy_print.add_parser(commands).set_defaults(func=run_print)

    catalog = commands.add_parser(
        "catalog",
        help="what the authorization catalog knows about an action",
        description="Print what awsip's authorization catalog (AWS's Service Authorization Reference) "
        "says about an action or action pattern: resource types with their ARN formats (or *), "
        "condition keys and their types. Exit 0 when known, 1 when no service defines it (with the "
        "closest known action), 2 when the catalog cannot be read.",
    )
    catalog.add_argument(
        "action", metavar="ACTION", help="e.g. eks:DescribeCluster, or a pattern: eks:Describe*"
    )
    catalog.add_argument("--output", choices=("text", "json"), default="text")
    catalog.set_defaults(func=run_catalog)


def _policy_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--policy",
        action="extend",
        nargs="+",
        required=True,
        metavar="FILE",
        help="identity policy documents (JSON or URL-encoded JSON); '-' reads standard input",
    )
    parser.add_argument("--boundary", metavar="FILE", help="the permissions boundary document")


def _read(path: str) -> PolicyDocument:
    from awsip.policy import PolicyParseError, decode_document, parse_policy
    from awsip.policy.limits import beyond_iam_limits

    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise _BadInput(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise _BadInput(f"cannot read {path}: not UTF-8 text") from None
    from awsip.policy.findings import check_action_syntax

    name = "<stdin>" if path == "-" else path
    try:
        decoded = decode_document(text, name=name)
        too_large = beyond_iam_limits(decoded)  # say so rather than take minutes over it
        if too_large is not None:
            raise _BadInput(f"{name}: {too_large}")
        document = parse_policy(decoded, name=name)
        check_action_syntax(document)  # "ec2:", ":RunInstances", spaces: not actions
    except PolicyParseError as exc:
        raise _BadInput(str(exc)) from None
    return document


def _load(args: argparse.Namespace) -> tuple[list[PolicyDocument], PolicyDocument | None]:
    policies = [_read(path) for path in args.policy]
    boundary = _read(args.boundary) if args.boundary else None
    return policies, boundary


def _guard(run: Any, args: argparse.Namespace) -> int:
    try:
        return int(run(args))
    except (_BadInput, policy_print.BadPrintOption, UnknownProfileError) as exc:
        print(f"awsip policy: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


def run_check(args: argparse.Namespace) -> int:
    return _guard(_check, args)


def _check(args: argparse.Namespace) -> int:
    from awsip.policy import check_coverage, parse_policy

    policies, boundary = _load(args)
    if args.required:
        required = _read(args.required)
    else:
        required = parse_policy(load_profile(args.profile), name=args.profile)
    report = check_coverage(required, policies, boundary=boundary)
    findings = _findings([required, *policies, *([boundary] if boundary is not None else [])])
    if args.output == "json":
        data = report.to_json()
        data["findings"] = [f.to_json() for f in findings]
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    else:
        sys.stdout.write(report.to_text())
        sys.stdout.write(policy_text.findings_text(findings))
    return EXIT_OK if report.covered else EXIT_FAILED


def _findings(documents: list[PolicyDocument]) -> list[PolicyFinding]:
    """Findings about the documents (none when the catalog cannot be read: the report says so)."""
    from awsip.catalog import CatalogUnavailable, optional_catalog
    from awsip.policy.findings import findings_for

    catalog = optional_catalog()
    if catalog is None:
        return []
    try:
        return findings_for(documents, catalog)
    except CatalogUnavailable:
        return []


def run_catalog(args: argparse.Namespace) -> int:
    from awsip.catalog import CatalogUnavailable, default_catalog
    from awsip.catalog.describe import describe

    try:
        catalog = default_catalog()
        found = describe(catalog, args.action)
    except CatalogUnavailable as exc:
        print(f"awsip policy: the authorization catalog cannot be read: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.output == "json":
        sys.stdout.write(json.dumps(found.to_json(), indent=2) + "\n")
    else:
        sys.stdout.write(found.to_text())
    return EXIT_OK if found.found else EXIT_FAILED


def run_simulate(args: argparse.Namespace) -> int:
    return _guard(_simulate, args)


def _context(pairs: list[str]) -> dict[str, str | list[str]]:
    context: dict[str, str | list[str]] = {}
    for pair in pairs:
        key, equals, value = pair.partition("=")
        if not equals or not key:
            raise _BadInput(f"--context wants KEY=VALUE, got {pair!r}")
        existing = context.get(key)
        if existing is None:
            context[key] = value
        elif isinstance(existing, list):
            existing.append(value)
        else:
            context[key] = [existing, value]
    return context


def _simulate(args: argparse.Namespace) -> int:
    from awsip.policy import Request, simulate
    from awsip.policy.findings import malformed_action

    problem = "" if args.action == "*" else malformed_action(args.action)
    if problem or "*" in args.action or "?" in args.action:
        raise _BadInput(
            f"--action {args.action!r} is not an action: {problem or 'a request names one action'}"
        )
    policies, boundary = _load(args)
    request = Request(args.action, args.resource, _context(args.context))
    decision = simulate(policies, request, boundary=boundary)
    if args.output == "json":
        sys.stdout.write(json.dumps(decision.to_json(), indent=2) + "\n")
    else:
        sys.stdout.write(policy_text.decision_text(decision))
    return EXIT_OK if decision.allowed else EXIT_FAILED


def run_print(args: argparse.Namespace) -> int:
    return _guard(_print, args)


def _print(args: argparse.Namespace) -> int:
    policy_print.run(args)
    return EXIT_OK
