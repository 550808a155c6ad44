"""The ``awsip`` command line: one subcommand per module in :mod:`awsip.commands`.

Only the module of the command being run is imported. The others bring Kopf, the Kubernetes
client, boto3, pydantic or the emulators with them (about a second of imports), which
``awsip --version`` or ``awsip policy simulate`` must not pay for; their entries in ``awsip
--help`` come from :data:`COMMANDS` (a test keeps these lines equal to the modules' own).
``benchmarks/cli_startup.py`` measures the start of each command.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from awsip import __version__

#: Subcommand -> (module, one-line help). Each module exposes ``add_parser(subparsers)``, which
#: adds the subcommand with the same help and sets ``func(args) -> int``.
COMMANDS: dict[str, tuple[str, str]] = {
    "crd": ("awsip.commands.crd", "print the CustomResourceDefinition (YAML) generated from the API types"),
    "policy": ("awsip.commands.policy", "check, simulate and print IAM policies offline"),
    "run": ("awsip.commands.run", "run the operator"),
    "sandbox": (
        "awsip.commands.sandbox",
        "run the operator end to end on loopback AWS and Kubernetes emulators",
    ),
}


def chosen_command(argv: Sequence[str]) -> str | None:
    """The subcommand named in ``argv`` (the top level takes no option with a value), if any."""
    for arg in argv:
        if not arg.startswith("-"):
            return arg if arg in COMMANDS else None
    return None


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser; with ``argv``, only the subcommand it names is built in full (None: all are)."""
    parser = argparse.ArgumentParser(
        prog="awsip",
        description="Verify AWS infrastructure-provider roles: assume them, check their permissions "
        "against the policy Cluster API Provider AWS needs, and inspect their trust policies.",
    )
    parser.add_argument("--version", action="version", version=f"awsip {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    chosen = chosen_command(argv) if argv is not None else None
    for name, (module_name, help_line) in COMMANDS.items():
        if argv is None or name == chosen:
            importlib.import_module(module_name).add_parser(subparsers)
        else:
            subparsers.add_parser(name, help=help_line, add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(arguments)
    args, extra = parser.parse_known_args(arguments)
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
