"""What the analysis knows besides the document: who the operator is, which account owns the role."""

from __future__ import annotations

from dataclasses import dataclass

from awsip.policy.quoting import quote
from awsip.trust.principals import ACCOUNT_ID, AwsPrincipal, Form, OperatorIdentity, classify


@dataclass(frozen=True)
class Context:
    identity: OperatorIdentity
    external_id_configured: bool
    role_account: str | None = None
    partition: str = "aws"

    @classmethod
    def build(
        cls,
        *,
        external_id_configured: bool,
        management_account_id: str | None,
        operator_principal_arn: str | None,
        role_arn: str | None,
    ) -> Context:
        identity = OperatorIdentity.from_inputs(management_account_id, operator_principal_arn)
        role_account = None
        partition = "aws"
        for arn in (role_arn, operator_principal_arn):
            parts = arn.split(":", 5) if isinstance(arn, str) else []
            if len(parts) == 6 and parts[0] == "arn" and parts[1] in ("aws", "aws-cn", "aws-us-gov"):
                partition = parts[1]
                break
        if isinstance(role_arn, str):
            parsed = classify(role_arn)
            if parsed.form is Form.IDENTITY and parsed.account and ACCOUNT_ID.fullmatch(parsed.account):
                role_account = parsed.account
        return cls(
            identity=identity,
            external_id_configured=bool(external_id_configured),
            role_account=role_account,
            partition=partition,
        )

    def who(self) -> str:
        """The operator's principal, as precisely as we know it."""
        if self.identity.arn:
            return f"the operator's principal {quote(self.identity.arn)}"
        if self.identity.account:
            return f"principals of the management account {self.identity.account}"
        return "the operator's principal"

    def suggestion(self) -> str:
        """The principal a trust policy should name: the operator's IAM role ARN."""
        identity = self.identity
        if identity.resource and identity.resource.startswith("role/"):
            return f"arn:{self.partition}:iam::{identity.account}:{identity.resource}"
        if identity.role_name:
            return f"arn:{self.partition}:iam::{identity.account}:role/{identity.role_name}"
        if identity.arn:
            return identity.arn
        account = identity.account or "MANAGEMENT_ACCOUNT_ID"
        return f"arn:{self.partition}:iam::{account}:role/OPERATOR_ROLE_NAME"

    def is_cross_account(self, principal: AwsPrincipal) -> bool:
        """Whether ``principal`` belongs to an account other than the role's (unknown counts)."""
        if principal.form in (Form.WILDCARD, Form.ACCOUNT_WILDCARD):
            return True
        return self.role_account is None or principal.account != self.role_account
