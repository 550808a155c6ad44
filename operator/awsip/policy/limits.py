"""How large a policy document IAM accepts, and a plain refusal for one larger than that.

IAM counts a document's characters without its whitespace. Its quotas: a customer managed policy
holds at most 6,144 characters, a role's inline policies 10,240 together, a trust policy 2,048
(8,192 at most on request); a role has at most 25 managed policies. AWS managed policies are not
bound by these quotas -- ReadOnlyAccess is over 80,000 characters -- so the refusal is set above
them: :data:`LARGEST_DOCUMENT` characters, twelve times the largest customer document, half as
much again as the largest AWS managed policy we know.

A document past that cannot be attached to a role, and checking it would only take time (a
10,000-statement file is about 1.5 MB): :func:`beyond_iam_limits` says so instead. Policies read
from IAM are within its limits by construction and are not checked; the documents a person hands
in are -- files given to ``awsip policy check`` and ``simulate``, the required policy a ConfigMap
holds.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

CUSTOMER_MANAGED_POLICY: Final = 6_144
ROLE_INLINE_POLICIES: Final = 10_240
LARGEST_DOCUMENT: Final = 131_072


def iam_size(document: Mapping[str, Any]) -> int:
    """The document's size as IAM counts it: characters of its JSON without whitespace between
    tokens (whitespace inside strings counts, as it does for IAM)."""
    return len(json.dumps(document, separators=(",", ":"), ensure_ascii=False))


def beyond_iam_limits(document: Mapping[str, Any]) -> str | None:
    """Why IAM would not take the document (None when it is within IAM's size)."""
    size = iam_size(document)
    if size <= LARGEST_DOCUMENT:
        return None
    statements = document.get("Statement")
    count = len(statements) if isinstance(statements, list) else 1
    return (
        f"{size:,} characters in {count:,} statements: larger than any policy IAM lets a role have "
        f"(customer managed: {CUSTOMER_MANAGED_POLICY:,}; inline, together: {ROLE_INLINE_POLICIES:,}; "
        f"awsip allows up to {LARGEST_DOCUMENT:,} for AWS managed policies), so not analysed"
    )
