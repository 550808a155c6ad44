"""The ``awsip`` command line: one subcommand per module in :mod:`awsip.commands`."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from awsip import __version__

#: Subcommand modules; each exposes ``add_parser(subparsers)`` which sets ``func(args) -> int``.
COMMANDS: tuple[str, ...] = (
    "awsip.commands.crd",
    "awsip.commands.policy",
    "awsip.commands.run",
    "awsip.commands.sandbox",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="awsip",
        description="Verify AWS infrastructure-provider roles: assume them, check their permissions "
        "against the policy Cluster API Provider AWS needs, and inspect their trust policies.",
    )
    parser.add_argument("--version", action="version", version=f"awsip {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_name in COMMANDS:
        importlib.import_module(module_name).add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and not getattr(args, "accepts_extra", False):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.extra = extra
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        sys.stderr.close()
        return 0
