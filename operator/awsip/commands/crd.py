"""``awsip crd``: print the CustomResourceDefinition generated from the API types."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from awsip.api.crd_manifest import render_crd_yaml


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "crd",
        help="print the CustomResourceDefinition (YAML) generated from the API types",
        description="Print the CRD for AWSInfrastructureProvider. Apply it with: awsip crd | kubectl apply -f -",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    sys.stdout.write(render_crd_yaml())
    return 0
