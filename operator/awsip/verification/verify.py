"""One verification of one provider: a blocking function of (spec, AWS services, Kubernetes inputs).

Steps, each reported on its own condition:

1. inputs: the External ID (spec or Secret) and the required policy (profile or ConfigMap);
2. ``RoleAssumed``: the operator's own identity (GetCallerIdentity, once per process), STS
   AssumeRole with the External ID (its answer names the session: account and assumed-role ARN;
   GetCallerIdentity with the new session only if it does not);
3. ``TrustPolicySecure``: iam:GetRole, the trust policy analysed by :mod:`awsip.trust`;
4. ``PermissionsVerified``: Local (the role's policies read from IAM and evaluated by
   :mod:`awsip.policy`) and/or Simulate (iam:SimulatePrincipalPolicy), per spec.verification.method.

The role is read only for a provider that proved itself: AssumeRole with its External ID
succeeded. Then IAM reads go to the role's session first and, where it is denied, to the
operator's identity. When AssumeRole fails nothing about the role is read, and the status says
nothing about its contents (trust policy, permissions, even whether it exists): the operator is a
deputy that anyone able to create a provider may send to any role ARN, and a wrong External ID
must learn no more than AWS tells a stranger (the confused deputy that External IDs exist to
stop). What such a provider gets is the generic remediation: the operator's identity, the policy
to attach to it and the trust policy the role needs.

Failures never raise: a user error becomes a False/Unknown check, a transient one an Unknown
check with ``transient=True`` (checks not reached are None: the status keeps the previous ones).
No secret (External ID, temporary credentials) leaves this module: the credentials live in local
variables and clients only, and every message is redacted before it is returned.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Final

from awsip.api.condition_reasons import Reason
from awsip.api.v1alpha1 import (
    MAX_TRUST_FINDINGS,
    AWSInfrastructureProviderSpec,
    PermissionsMethod,
    PermissionsStatus,
    TrustFinding,
    TrustPolicyStatus,
)
from awsip.aws import iam
from awsip.aws.errors import AWS_ERRORS, ClassifiedError, ErrorKind, classify_error
from awsip.aws.services import SESSION_CREDENTIALS, AwsServices
from awsip.aws.sts import AssumedRole, CallerIdentity, assume_role, get_caller_identity
from awsip.catalog import CatalogUnavailable, optional_catalog
from awsip.policy import PolicyDocument, PolicyParseError, check_coverage, decode_document, parse_policy
from awsip.policy.findings import PolicyFinding, findings_for
from awsip.policy.limits import beyond_iam_limits
from awsip.profiles import load_profile
from awsip.redaction import remember_secret, values_redactor
from awsip.trust import analyze_trust_policy
from awsip.verification import messages
from awsip.verification.inputs import (
    InputNotFoundError,
    InputUnavailableError,
    InvalidInputError,
    ProviderInputs,
    ProviderRef,
    required_policy_text,
    resolve_external_id,
)
from awsip.verification.local import ReadsDenied, UnsupportedPolicyError, read_role_policies
from awsip.verification.outcome import Check, VerificationResult
from awsip.verification.permission_verdicts import (
    Verdict,
    combine,
    local_verdicts,
    permissions_check,
    simulated_verdicts,
)
from awsip.verification.reader import FallbackReader
from awsip.verification.simulation_requests import Samples, simulation_requests
from awsip.verification.work_budget import (
    Stopping,
    WorkBudgetExceeded,
    WorkLimits,
    bounded_work,
)

log = logging.getLogger(__name__)

AwsError = AWS_ERRORS
DEFAULT_LIMITS: Final = WorkLimits()


def verify(
    ref: ProviderRef,
    spec: AWSInfrastructureProviderSpec,
    *,
    aws: AwsServices,
    inputs: ProviderInputs,
    limits: WorkLimits = DEFAULT_LIMITS,
    stopping: threading.Event | None = None,
) -> VerificationResult:
    """Verify one provider. Blocking (run it in a worker thread); never raises.

    AWS and user errors become checks; a bug in awsip becomes an Unknown ``InternalError`` check,
    retried with backoff like a transient AWS failure, so one provider that trips a bug neither
    stops the others nor loses its previous verdict's details.

    ``limits`` bound the policy engine's work, and ``stopping`` (set when the operator stops) ends
    it early (see :mod:`awsip.verification.work_budget`)."""
    run = _Verification(ref, spec, aws, inputs, limits, stopping)
    try:
        result = run.run()
    except Stopping:
        result = run.result(
            Check("Unknown", Reason.NOT_VERIFIED, "The operator stopped during the verification.", True)
        )
    except AwsError as error:  # a safety net: every step classifies its own errors
        result = run.result(_transient("the verification", _classify(error)))
    except Exception as error:  # a bug: the provider still gets a status saying so, and a retry
        # The exception's text may quote inputs (an External ID, a policy): it goes to the log,
        # whose formatter redacts remembered secrets, never to the status.
        log.error("Verification of %s failed unexpectedly", ref, exc_info=True)
        result = run.result(Check("Unknown", Reason.INTERNAL_ERROR, messages.internal_error(error), True))
    result = run.redacted(result)
    log.debug(
        "verified %s: RoleAssumed=%s PermissionsVerified=%s TrustPolicySecure=%s transient=%s%s",
        ref,
        result.role_assumed.reason,
        result.permissions.reason if result.permissions else "-",
        result.trust.reason if result.trust else "-",
        result.transient,
        "".join(f"; {note}" for note in result.notes),
    )
    return result


@dataclass(frozen=True)
class _RequiredPolicy:
    document: Mapping[str, Any]
    parsed: PolicyDocument
    profile: str | None
    config_map: str | None


class _Stop(Exception):
    """Ends the verification early with ``result``."""

    def __init__(self, result: VerificationResult) -> None:
        super().__init__("verification stopped")
        self.result = result


@functools.lru_cache(maxsize=16)
def _profile(name: str) -> tuple[dict[str, Any], PolicyDocument]:
    """A built-in profile and its parsed form, read and parsed once per process: they never change,
    and one parsed document is compiled once by the policy engine (it compiles by document)."""
    document = load_profile(name)
    return document, parse_policy(document, name=name)


def _classify(error: BaseException) -> ClassifiedError:
    classified = classify_error(error)
    assert classified is not None
    return classified


def _transient(reason_step: str, error: ClassifiedError) -> Check:
    """The check of a step AWS gave no verdict on: retried with backoff -- unless the answer was not
    AWS's (:attr:`ErrorKind.UNPARSABLE`), which waits for the next verification instead."""
    if error.kind is ErrorKind.UNPARSABLE:
        message = messages.aws_answer_unparsable(error, step=reason_step)
        return Check("Unknown", Reason.AWS_ANSWER_UNPARSABLE, message)
    return Check(
        "Unknown", Reason.AWS_UNAVAILABLE, messages.aws_unavailable(error, step=reason_step), transient=True
    )


#: Why the role's checks did not run when AssumeRole failed.
NOT_ASSUMED: Final = (
    "the role was not assumed, and awsip reads a role only for a provider that can assume it "
    "(with its External ID, if it has one)"
)


def _not_verified(because: str) -> Check:
    return Check("Unknown", Reason.NOT_VERIFIED, messages.not_verified(because))


class _Verification:
    def __init__(
        self,
        ref: ProviderRef,
        spec: AWSInfrastructureProviderSpec,
        aws: AwsServices,
        inputs: ProviderInputs,
        limits: WorkLimits = DEFAULT_LIMITS,
        stopping: threading.Event | None = None,
    ) -> None:
        self.ref = ref
        self.spec = spec
        self.aws = aws
        self.inputs = inputs
        self.limits = limits
        self.stopping = stopping
        self.region = aws.region_for(spec.partition, spec.region)
        self.session_name = spec.effective_session_name(ref.namespace, ref.name)
        self._secrets: list[str] = []

    # -- results -----------------------------------------------------------------------------

    def result(self, role_assumed: Check, **fields: Any) -> VerificationResult:
        return VerificationResult(
            ref=self.ref, role_arn=self.spec.role_arn, role_assumed=role_assumed, **fields
        )

    def blocked(self, role_assumed: Check, because: str) -> _Stop:
        """Stop: a user error before any check could run."""
        return _Stop(
            self.result(role_assumed, trust=_not_verified(because), permissions=_not_verified(because))
        )

    def without_credentials(self, classified: ClassifiedError, step: str) -> _Stop:
        """Stop: the operator's own AWS credentials are missing or rejected (at ``step``).

        Transient first: an expired or not yet valid token is what a rotation race looks like
        (IRSA, Pod Identity), and it says nothing about the provider. The check is Unknown and
        retried with backoff; the other checks were not reached, so the status keeps what the
        last verification found (the status builder turns a failure that lasts into Stalled).
        """
        return _Stop(
            self.result(
                Check(
                    "Unknown",
                    Reason.OPERATOR_CREDENTIALS_UNAVAILABLE,
                    messages.operator_credentials(classified, step=step),
                    transient=True,
                )
            )
        )

    def redacted(self, result: VerificationResult) -> VerificationResult:
        """The result with every secret that this verification handled removed from its text."""

        clean = values_redactor(self._secrets)

        def clean_check(check: Check | None) -> Check | None:
            return None if check is None else replace(check, message=clean(check.message))

        trust_status = result.trust_status
        if trust_status is not None:
            trust_status = trust_status.model_copy(
                update={
                    "findings": [
                        f.model_copy(
                            update={
                                "message": clean(f.message),
                                "statement": clean(f.statement) if f.statement else None,
                            }
                        )
                        for f in trust_status.findings
                    ]
                }
            )
        permissions_status = result.permissions_status
        if permissions_status is not None:
            permissions_status = permissions_status.model_copy(
                update={
                    "missing": [
                        m.model_copy(update={"reason": clean(m.reason), "resource": clean(m.resource)})
                        for m in permissions_status.missing
                    ]
                }
            )
        role_assumed = clean_check(result.role_assumed)
        assert role_assumed is not None
        return replace(
            result,
            role_assumed=role_assumed,
            trust=clean_check(result.trust),
            permissions=clean_check(result.permissions),
            trust_status=trust_status,
            permissions_status=permissions_status,
            notes=tuple(clean(note) for note in result.notes),
        )

    # -- the steps ---------------------------------------------------------------------------

    def run(self) -> VerificationResult:
        # The session clients sign with the credentials this verification assumes, until it ends.
        token = SESSION_CREDENTIALS.set(None)
        try:
            return self._run()
        except _Stop as stop:
            return stop.result
        finally:
            SESSION_CREDENTIALS.reset(token)

    def _run(self) -> VerificationResult:
        external_id = self._external_id()
        required, required_problem = self._required_policy()
        operator = self._operator_identity()

        notes: list[str] = []
        role_check, assumed, session_identity = self._assume(operator, external_id)
        if assumed is None:
            # Not proven: no read of the role with any identity (see the module docs).
            return self.result(
                role_check, trust=_not_verified(NOT_ASSUMED), permissions=_not_verified(NOT_ASSUMED)
            )
        session_iam = self.aws.temporary_client("iam", self.region, assumed.credentials)
        # The operator's identity reads IAM in its own account only.
        same_account = operator.account == self.spec.account_id
        operator_iam = self.aws.operator_client("iam", self.region) if same_account else None
        reader = FallbackReader(
            session_iam, operator_iam, denials=self.aws.denials, role_arn=self.spec.role_arn
        )

        try:
            role = reader.call("iam:GetRole", lambda client: iam.get_role(client, self.spec.role_name))
        except AwsError as error:
            role = None
            classified = _classify(error)
            if classified.kind is ErrorKind.NOT_FOUND:
                message = messages.role_not_found(role_arn=self.spec.role_arn)
                missing = Check("Unknown", Reason.ROLE_NOT_FOUND, message)
                return self.result(
                    role_check, trust=missing, permissions=missing, **self._session_fields(session_identity)
                )
            if classified.kind is not ErrorKind.ACCESS_DENIED:
                problem = _transient("iam:GetRole", classified)
                return self.result(
                    role_check, trust=problem, permissions=problem, **self._session_fields(session_identity)
                )
            trust_check: Check = Check(
                "Unknown",
                Reason.CANNOT_READ_TRUST_POLICY,
                messages.cannot_read_trust_policy(
                    role_arn=self.spec.role_arn, operator=operator, error=classified
                ),
            )
            trust_status = None
        else:
            assert role is not None
            trust_check, trust_status = self._trust(role, operator, external_id)

        if required is None:
            assert required_problem is not None
            permissions, permissions_status = required_problem, None
        else:
            permissions, permissions_status = self._permissions(reader, role, required, operator, notes)

        return self.result(
            role_check,
            trust=trust_check,
            permissions=permissions,
            trust_status=trust_status,
            permissions_status=permissions_status,
            notes=tuple(notes),
            **self._session_fields(session_identity),
        )

    @staticmethod
    def _session_fields(identity: CallerIdentity | None) -> dict[str, Any]:
        if identity is None:
            return {}
        return {"account_id": identity.account, "assumed_role_arn": identity.arn}

    def _external_id(self) -> str | None:
        secret = self.spec.external_id_secret_ref
        try:
            external_id = resolve_external_id(self.ref, self.spec, self.inputs)
        except InputNotFoundError as error:
            assert secret is not None
            raise self.blocked(
                Check(
                    "False",
                    Reason.EXTERNAL_ID_SECRET_NOT_FOUND,
                    messages.secret_not_found(
                        namespace=self.ref.namespace, name=secret.name, key=secret.key, detail=error.message
                    ),
                ),
                "the External ID could not be read",
            ) from None
        except InvalidInputError as error:
            raise self.blocked(
                Check("False", Reason.INVALID_EXTERNAL_ID, messages.condition_message(f"{error}.")),
                "the External ID is not valid",
            ) from None
        except InputUnavailableError as error:
            raise _Stop(
                self.result(
                    Check(
                        "Unknown",
                        Reason.KUBERNETES_UNAVAILABLE,
                        messages.kubernetes_unavailable(error.message),
                        transient=True,
                    )
                )
            ) from None
        if external_id is not None:
            self._secrets.append(external_id)
            # Defense in depth: mask it in every log line, including third-party debug output.
            remember_secret(external_id)
        return external_id

    def _required_policy(self) -> tuple[_RequiredPolicy | None, Check | None]:
        policy = self.spec.required_policy
        if policy.profile is not None:
            document, parsed = _profile(policy.profile)
            return _RequiredPolicy(document, parsed, policy.profile, None), None
        ref = policy.config_map_ref
        assert ref is not None
        source = f"ConfigMap {self.ref.namespace}/{ref.name} key {ref.key!r}"
        try:
            text = required_policy_text(self.ref, self.spec, self.inputs)
        except InputNotFoundError as error:
            return None, Check(
                "Unknown",
                Reason.POLICY_CONFIGMAP_NOT_FOUND,
                messages.configmap_not_found(
                    namespace=self.ref.namespace, name=ref.name, key=ref.key, detail=error.message
                ),
            )
        except InputUnavailableError as error:
            return None, Check(
                "Unknown",
                Reason.KUBERNETES_UNAVAILABLE,
                messages.kubernetes_unavailable(error.message),
                transient=True,
            )
        assert text is not None
        try:
            decoded = decode_document(text, name=source)  # decoded once, parsed once
            too_large = beyond_iam_limits(decoded)  # not worth the workers' time: say so
            if too_large is not None:
                raise PolicyParseError(too_large, policy=source)
            parsed = parse_policy(decoded, name=source)
        except PolicyParseError as error:
            return None, Check(
                "Unknown",
                Reason.INVALID_REQUIRED_POLICY,
                messages.invalid_required_policy(source=source, detail=str(error)),
            )
        return _RequiredPolicy(
            decoded, parsed, None, f"{self.ref.namespace}/{ref.name} (key {ref.key!r})"
        ), None

    def _operator_identity(self) -> CallerIdentity:
        try:
            return self.aws.operator_identity(self.region)
        except AwsError as error:
            classified = _classify(error)
            if classified.kind is ErrorKind.CREDENTIALS:
                raise self.without_credentials(classified, "sts:GetCallerIdentity") from None
            raise _Stop(self.result(_transient("sts:GetCallerIdentity", classified))) from None

    def _session_tags(self) -> dict[str, str] | None:
        if not self.aws.session_tags:
            return None
        return {"awsip:namespace": self.ref.namespace, "awsip:name": self.ref.name}

    def _assume(
        self, operator: CallerIdentity, external_id: str | None
    ) -> tuple[Check, AssumedRole | None, CallerIdentity | None]:
        sts = self.aws.operator_client("sts", self.region)
        try:
            assumed = assume_role(
                sts,
                role_arn=self.spec.role_arn,
                session_name=self.session_name,
                duration_seconds=self.spec.duration_seconds,
                external_id=external_id,
                tags=self._session_tags(),
            )
        except AwsError as error:
            classified = _classify(error)
            if classified.kind is ErrorKind.CREDENTIALS:
                raise self.without_credentials(classified, "sts:AssumeRole") from None
            if classified.transient or classified.kind is ErrorKind.UNPARSABLE:
                raise _Stop(self.result(_transient("sts:AssumeRole", classified))) from None
            if classified.kind is ErrorKind.INVALID_REQUEST:
                message = messages.assume_role_rejected(role_arn=self.spec.role_arn, error=classified)
                return Check("False", Reason.ASSUME_ROLE_REJECTED, message), None, None
            message = messages.access_denied(
                role_arn=self.spec.role_arn,
                operator=operator,
                external_id_configured=external_id is not None,
                session_tags=self.aws.session_tags,
                error=classified,
            )
            return Check("False", Reason.ACCESS_DENIED, message), None, None

        credentials = assumed.credentials
        self._secrets += [credentials.access_key_id, credentials.secret_access_key, credentials.session_token]
        try:
            # AssumeRole's answer names the session (AssumedRoleUser): no GetCallerIdentity needed.
            identity = assumed.identity or get_caller_identity(
                self.aws.temporary_client("sts", self.region, assumed.credentials)
            )
        except AwsError as error:
            # A fresh session that STS does not accept yet is worth a retry, like any other failure here.
            raise _Stop(
                self.result(_transient("sts:GetCallerIdentity (assumed role)", _classify(error)))
            ) from None
        message = f"Assumed {self.spec.role_arn} as {identity.arn} (account {identity.account})."
        return Check("True", Reason.ASSUME_ROLE_SUCCEEDED, message), assumed, identity

    def _probe_without_external_id(self) -> bool | None:
        """True if AssumeRole succeeds without the External ID; None if the probe was inconclusive."""
        try:
            probe = assume_role(
                self.aws.operator_client("sts", self.region),
                role_arn=self.spec.role_arn,
                session_name=self.session_name,
                duration_seconds=900,
                tags=self._session_tags(),
            )
        except AwsError as error:
            return False if _classify(error).kind is ErrorKind.ACCESS_DENIED else None
        credentials = probe.credentials
        self._secrets += [credentials.access_key_id, credentials.secret_access_key, credentials.session_token]
        return True

    def _trust(
        self, role: iam.RoleInfo, operator: CallerIdentity, external_id: str | None
    ) -> tuple[Check, TrustPolicyStatus]:
        analysis = analyze_trust_policy(
            role.trust_policy,
            external_id_configured=external_id is not None,
            management_account_id=operator.account,
            operator_principal_arn=operator.arn,
            role_arn=role.arn,
        )
        status = analysis.to_status()
        check = Check("True" if analysis.secure else "False", analysis.reason, analysis.message)
        probe = (
            self.spec.verification.probe_external_id
            and external_id is not None
            and analysis.external_id_enforced
        )
        if probe and self._probe_without_external_id():
            message = messages.external_id_probe_succeeded(self.spec.role_arn)
            finding = TrustFinding(severity="High", code="ExternalIDNotEnforced", message=message)
            findings = [finding, *status.findings]
            status = TrustPolicyStatus(
                externalIDEnforced=False,
                findings=findings[:MAX_TRUST_FINDINGS],
                truncated=status.truncated or len(findings) > MAX_TRUST_FINDINGS,
            )
            check = Check("False", "ExternalIDNotEnforced", message)
        return check, status

    # -- permissions -------------------------------------------------------------------------

    def _permissions(
        self,
        reader: FallbackReader,
        role: iam.RoleInfo | None,
        required: _RequiredPolicy,
        operator: CallerIdentity,
        notes: list[str],
    ) -> tuple[Check, PermissionsStatus | None]:
        method = self.spec.verification.method
        local: list[Verdict] | None = None
        simulated: list[Verdict] | None = None
        problems: list[Check] = []
        denied: list[str] = []
        simulate_error: ClassifiedError | None = None

        findings: list[PolicyFinding] = []
        if method in ("Local", "Auto"):
            try:
                local, findings = self._local(reader, role, required, notes)
            except ReadsDenied as error:
                denied = error.operations
            except UnsupportedPolicyError as error:
                problems.append(
                    Check(
                        "Unknown",
                        Reason.UNSUPPORTED_ROLE_POLICY,
                        messages.unsupported_role_policy(policy=error.policy, detail=error.detail),
                    )
                )
            except WorkBudgetExceeded as error:
                problems.append(self._too_costly(required, error))
            except AwsError as error:
                problems.append(_transient("reading the role's policies", _classify(error)))

        if method == "Simulate" or (method == "Auto"):
            try:
                simulated = self._simulate(reader, required)
            except WorkBudgetExceeded as error:
                problems.append(self._too_costly(required, error))
            except AwsError as error:
                simulate_error = _classify(error)
                if method == "Auto":
                    notes.append(f"SimulatePrincipalPolicy skipped: {simulate_error.code}")
                if simulate_error.transient or simulate_error.kind is ErrorKind.UNPARSABLE:
                    problems.append(_transient("iam:SimulatePrincipalPolicy", simulate_error))
                elif method == "Simulate":
                    problems.append(
                        Check(
                            "Unknown",
                            Reason.CANNOT_SIMULATE,
                            messages.cannot_simulate(
                                role_arn=self.spec.role_arn, operator=operator, error=simulate_error
                            ),
                        )
                    )

        ran: PermissionsMethod | None = (
            "LocalAndSimulate"
            if local is not None and simulated is not None
            else "Local"
            if local is not None
            else "Simulate"
            if simulated is not None
            else None
        )
        if ran is None:
            if problems:
                transient = [p for p in problems if p.transient]
                return (transient or problems)[0], None
            return (
                Check(
                    "Unknown",
                    Reason.CANNOT_READ_POLICIES,
                    messages.cannot_read_policies(
                        role_arn=self.spec.role_arn,
                        denied=denied,
                        simulate_denied=simulate_error is not None
                        and simulate_error.kind is ErrorKind.ACCESS_DENIED,
                        operator=operator,
                    ),
                ),
                None,
            )
        return permissions_check(
            combine(local, simulated),
            method=ran,
            profile=required.profile,
            config_map=required.config_map,
            findings=findings,
        )

    def _local(
        self, reader: FallbackReader, role: iam.RoleInfo | None, required: _RequiredPolicy, notes: list[str]
    ) -> tuple[list[Verdict], list[PolicyFinding]]:
        if role is None:
            raise ReadsDenied(["iam:GetRole"])
        policies = read_role_policies(reader, role, self.aws.policy_cache, self.aws.policy_versions)
        documents = [*policies.policies, *([policies.boundary] if policies.boundary is not None else [])]
        with bounded_work(self.limits, self.stopping):
            report = check_coverage(required.parsed, policies.policies, boundary=policies.boundary)
            findings = _policy_findings(documents, notes)
        return local_verdicts(report.results), findings

    def _too_costly(self, required: _RequiredPolicy, error: WorkBudgetExceeded) -> Check:
        source = f"profile {required.profile}" if required.profile else f"ConfigMap {required.config_map}"
        return Check(
            "Unknown",
            Reason.POLICY_CHECK_TOO_COSTLY,
            messages.policy_check_too_costly(
                source=source, cpu=error.cpu, wall=error.wall, cpu_limit=error.limits.cpu_seconds
            ),
        )

    def _simulate(self, reader: FallbackReader, required: _RequiredPolicy) -> list[Verdict]:
        @functools.cache
        def samples() -> Samples:
            # Only when IAM is asked: a simulation the memo of denials answers costs nothing.
            with bounded_work(self.limits, self.stopping):
                return simulation_requests(
                    required.document,
                    partition=self.spec.partition,
                    account=self.spec.account_id,
                    region=self.region,
                    catalog=optional_catalog(),
                )

        simulate: Callable[[Any], Any] = lambda client: self.aws.simulator_factory(client).simulate(  # noqa: E731
            self.spec.role_arn, [item.request for item in samples().requests]
        )
        results = reader.call("iam:SimulatePrincipalPolicy", simulate)
        verdicts = simulated_verdicts(samples().requests, results)
        verdicts += [
            Verdict(action, "*", "Unknown", "action patterns cannot be simulated")
            for action in samples().not_simulated
        ]
        return verdicts


def _policy_findings(documents: list[PolicyDocument], notes: list[str]) -> list[PolicyFinding]:
    """Info-level findings about the role's policies; none (with a note) without the catalog."""
    catalog = optional_catalog()
    if catalog is None:
        notes.append("the authorization catalog cannot be read: no findings about the role's policies")
        return []
    try:
        return findings_for(documents, catalog)
    except CatalogUnavailable as error:
        notes.append(
            f"the authorization catalog cannot be read ({error}): no findings about the role's policies"
        )
        return []
