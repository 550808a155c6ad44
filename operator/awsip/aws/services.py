"""The operator's AWS access: its boto3 session and clients, shared by all verifications.

One :class:`AwsServices` lives as long as the operator. It holds

- the boto3 session with the operator's own credentials (boto3's default chain: environment,
  IRSA web identity, EKS Pod Identity, instance profile; ``AWS_ENDPOINT_URL`` redirects every
  client, which the tests and the sandbox use to reach a loopback moto server),
- the clients made from it (cached per service and region; boto3 clients are thread-safe, the
  session is not, so creation is serialised); assumed-role sessions share clients of their own,
  which sign each request with the credentials of the verification under way (a context
  variable, :data:`SESSION_CREDENTIALS`), so that a verification makes no client (making one
  costs more CPU than the verification's AWS calls, and a new connection),
- the managed-policy document cache and the rate limits (:mod:`awsip.aws.ratelimit`: a bucket
  for the operator's STS calls per Region, one per account for the calls made in it, an optional
  global cap; each lowered by throttling), hooked into every client through botocore's event
  system, and the Prometheus metrics (:func:`awsip.observability.instrument_boto3_session`: calls
  by operation and error code; the waits through :attr:`AwsServices.rate_limit_observer`;
  throttling answers by account, and the rates of the moment),
- two short-lived memories that spare IAM calls (and IAM's low rate limits) across verifications:
  ``policy_versions``, the default version of each managed policy (iam:GetPolicy) for
  :data:`DEFAULT_VERSION_TTL` seconds, and ``denials``, each AccessDenied of one identity (the
  role's session, or the operator's) for one operation on one role, for :data:`DENIAL_TTL`
  seconds (:class:`awsip.verification.reader.FallbackReader` uses it),
- the operator's own identity (GetCallerIdentity, called once).

Logging is left alone: at DEBUG botocore logs request parameters (AssumeRole's ExternalId) and
response bodies (temporary credentials); :func:`awsip.observability.configure_logging` masks
them, and nothing in awsip.aws or awsip.verification logs a secret of its own.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

import boto3
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import NoCredentialsError

from awsip.aws.cache import PolicyDocumentCache, TtlCache
from awsip.aws.errors import THROTTLING_CODES
from awsip.aws.policy_simulator import IamPolicySimulator, PolicySimulator
from awsip.aws.ratelimit import BucketKey, RateLimits, RateLimitSettings
from awsip.aws.regions import region_for
from awsip.aws.sts import CallerIdentity, TemporaryCredentials, get_caller_identity
from awsip.observability.botocore_hooks import instrument_boto3_session
from awsip.observability.metrics import METRICS, Metrics, RateLimitSample

#: The operator's own STS calls per second, per Region. STS's documented request quota is 600
#: per second per account and Region, shared by everything that uses the operator's account:
#: awsip takes a twelfth of it by default (docs/operations.md, "Rate limits").
DEFAULT_STS_CALLS_PER_SECOND = 50.0
#: Calls per second in each account (IAM reads, SimulatePrincipalPolicy, session calls). AWS
#: publishes no number for IAM's read operations and does not raise them; every caller in the
#: account shares them. 10 is what awsip's one global limit used to allow for all accounts
#: together, so no account sees more of awsip than it did.
DEFAULT_ACCOUNT_CALLS_PER_SECOND = 10.0
DEFAULT_MAX_ATTEMPTS = 3
DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_READ_TIMEOUT = 20.0
USER_AGENT = "awsip"
#: How long the default version of a managed policy (iam:GetPolicy) is taken as known: a new
#: default version is seen at most this much later (the document of a version never changes).
DEFAULT_VERSION_TTL = 30.0
#: How long an AccessDenied of one identity for one operation on one role is remembered: reads
#: go straight to the other identity meanwhile (the same data), and a denied simulation is skipped.
DENIAL_TTL = 3600.0

#: Where a request's rate-limit bucket travels in botocore's request context, from ``before-call``
#: (which knows the client and the session) to ``before-send`` and ``response-received``.
_BUCKET = "awsip_rate_limit_bucket"
_RESERVED_AT = "awsip_rate_limit_reserved_at"


class SessionCredentials(Credentials):  # type: ignore[misc]  # botocore is untyped
    """An assumed-role session's credentials, and the account they belong to (for rate limits)."""

    def __init__(self, access_key: str, secret_key: str, token: str, account: str) -> None:
        super().__init__(access_key, secret_key, token)
        self.account = account


#: The assumed-role credentials that the session clients sign with, in the current context (a
#: verification: :meth:`AwsServices.temporary_client` sets them, and the verification resets them).
SESSION_CREDENTIALS: ContextVar[Credentials | None] = ContextVar("awsip_session_credentials", default=None)


def botocore_config(
    *,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    read_timeout: float = DEFAULT_READ_TIMEOUT,
    max_pool_connections: int = 32,
) -> Config:
    """Short timeouts and botocore's standard retry mode with few attempts: the controller retries
    transient failures itself, with backoff, so a verification should fail fast rather than hang."""
    return Config(
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        retries={"mode": "standard", "total_max_attempts": max_attempts},
        max_pool_connections=max_pool_connections,
        user_agent_extra=USER_AGENT,
    )


class AwsServices:
    def __init__(
        self,
        session: boto3.session.Session,
        *,
        config: Config | None = None,
        rate_limits: RateLimits | None = None,
        policy_cache: PolicyDocumentCache[Any] | None = None,
        session_tags: bool = False,
        simulator_factory: Callable[[Any], PolicySimulator] = IamPolicySimulator,
        default_version_ttl: float = DEFAULT_VERSION_TTL,
        denial_ttl: float = DENIAL_TTL,
        metrics: Metrics = METRICS,
    ) -> None:
        self.metrics = metrics
        self.session = instrument_boto3_session(session, metrics)
        self.config = config or botocore_config()
        self.rate_limits = rate_limits
        """The rate limits every HTTP attempt passes (None: none at all)."""
        self.policy_cache: PolicyDocumentCache[Any] = policy_cache or PolicyDocumentCache()
        self.session_tags = session_tags
        self.simulator_factory = simulator_factory
        self.policy_versions: TtlCache[str, str] = TtlCache(default_version_ttl)
        """Default version id by managed-policy ARN (see :data:`DEFAULT_VERSION_TTL`)."""
        self.denials: TtlCache[tuple[str, str, str], dict[str, Any]] = TtlCache(denial_ttl, max_entries=16384)
        """(identity "session"/"operator", role ARN, operation) -> the AccessDenied response."""
        self.rate_limit_observer: Callable[[float], None] | None = metrics.record_rate_limit_wait
        """Called with the seconds each AWS request waited for the rate limits (metrics by default)."""
        self._lock = threading.Lock()
        self._identity_lock = threading.Lock()
        self._clients: dict[tuple[str, str], Any] = {}
        self._session_clients: dict[tuple[str, str], Any] = {}
        self._identity: CallerIdentity | None = None
        self._install_hooks()

    @classmethod
    def from_environment(
        cls,
        *,
        sts_calls_per_second: float = DEFAULT_STS_CALLS_PER_SECOND,
        account_calls_per_second: float = DEFAULT_ACCOUNT_CALLS_PER_SECOND,
        calls_per_second: float = 0.0,
        session_tags: bool = False,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        read_timeout: float = DEFAULT_READ_TIMEOUT,
    ) -> AwsServices:
        """The operator's services with boto3's default credential chain and region.

        The rate limits (calls per second, 0 = off; see :mod:`awsip.aws.ratelimit`): each
        Region's operator STS calls, each account's calls, and the optional global cap. They save
        up no burst: requests are paced ``1 / rate`` apart, so that no one-second window holds
        more than ``rate`` of them (AWS throttles per second).
        """
        settings = RateLimitSettings(
            sts_calls_per_second=max(0.0, sts_calls_per_second),
            account_calls_per_second=max(0.0, account_calls_per_second),
            calls_per_second=max(0.0, calls_per_second),
        )
        return cls(
            boto3.session.Session(),
            config=botocore_config(
                max_attempts=max_attempts, connect_timeout=connect_timeout, read_timeout=read_timeout
            ),
            rate_limits=RateLimits(settings) if settings.any else None,
            session_tags=session_tags,
        )

    # -- clients -----------------------------------------------------------------------------

    def region_for(self, partition: str, region: str | None = None) -> str:
        """The region for a provider's calls: its own, else the operator's if in the partition."""
        return region_for(partition, region, fallback=self.session.region_name)

    def operator_client(self, service: str, region: str) -> Any:
        """A (cached) client with the operator's own credentials."""
        key = (service, region)
        client = self._clients.get(key)  # no lock once made: a temporary client may be under way
        if client is not None:
            return client
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                client = self.session.client(service, region_name=region, config=self.config)
                client.meta.events.register(
                    "before-call",
                    functools.partial(self._mark_operator_call, service, region),
                    unique_id="awsip-rate-limit-bucket",
                )
                self._clients[key] = client
            return client

    def temporary_client(self, service: str, region: str, credentials: TemporaryCredentials) -> Any:
        """A client that signs with an assumed-role session's credentials, in this context.

        The client is shared (one per service and region for all sessions); what makes it sign
        as this session is :data:`SESSION_CREDENTIALS`, set here for the current context: use
        the client in the context that asked for it (a verification resets the variable when it
        ends). In a context without credentials it refuses to send anything.
        """
        SESSION_CREDENTIALS.set(
            SessionCredentials(
                credentials.access_key_id,
                credentials.secret_access_key,
                credentials.session_token,
                credentials.account,
            )
        )
        return self._session_client(service, region)

    def _session_client(self, service: str, region: str) -> Any:
        """The shared client of the assumed-role sessions (see :meth:`temporary_client`)."""
        key = (service, region)
        client = self._session_clients.get(key)
        if client is not None:
            return client
        with self._lock:
            client = self._session_clients.get(key)
            if client is None:
                client = self.session.client(
                    service,
                    region_name=region,
                    config=self.config,
                    # Never used: every request is signed with SESSION_CREDENTIALS (or refused).
                    aws_access_key_id="unused",
                    aws_secret_access_key="unused",
                )
                client.meta.events.register(
                    "before-call", _sign_as_session, unique_id="awsip-session-credentials"
                )
                self._session_clients[key] = client
            return client

    def prepare_clients(self, partition: str = "aws") -> None:
        """Make the clients most verifications use (STS and IAM, the operator's and the shared
        session ones, in the partition's region for providers without one) now, not in the first
        verifications: making one loads botocore's endpoint and service models (tens of ms of
        CPU), which would otherwise land on the first providers of a mass creation. No AWS call."""
        region = self.region_for(partition)
        for service in ("sts", "iam"):
            self.operator_client(service, region)
            self._session_client(service, region)

    def operator_identity(self, region: str) -> CallerIdentity:
        """The operator's own identity (GetCallerIdentity once; raises botocore errors until it works)."""
        with self._identity_lock:
            if self._identity is None:
                self._identity = get_caller_identity(self.operator_client("sts", region))
            return self._identity

    # -- rate limits ---------------------------------------------------------------------------

    def bucket_for(self, service: str, region: str) -> BucketKey:
        """The bucket of a call by the operator's own identity: its STS calls count in the Region,
        everything else in the operator's account (known once GetCallerIdentity answered)."""
        if service == "sts":
            return BucketKey("sts", region)
        identity = self._identity
        return BucketKey("account", identity.account if identity is not None else OPERATOR)

    def account_label(self, key: BucketKey) -> str:
        """The account a bucket's calls count against (the operator's, for its STS calls)."""
        if key.kind == "account":
            return key.name
        identity = self._identity
        return identity.account if identity is not None else OPERATOR

    def _mark_operator_call(
        self, service: str, region: str, context: dict[str, Any] | None = None, **_: Any
    ) -> None:
        if context is not None:
            context[_BUCKET] = self.bucket_for(service, region)

    def _install_hooks(self) -> None:
        events = self.session.events
        if self.rate_limits is not None:
            events.register("before-send", self._rate_limit, unique_id="awsip-rate-limit")
            limits = self.rate_limits
            self.metrics.watch_rate_limits(
                lambda: [
                    RateLimitSample(state.key.kind, state.key.name, state.rate, state.limit)
                    for state in limits.states()
                ]
            )
        events.register("response-received", self._on_response, unique_id="awsip-throttling")

    def _rate_limit(self, request: Any = None, **_: Any) -> None:
        assert self.rate_limits is not None
        context = getattr(request, "context", None)
        key = context.get(_BUCKET) if isinstance(context, dict) else None
        waited, reserved_at = self.rate_limits.acquire(key)
        if isinstance(context, dict):
            context[_RESERVED_AT] = reserved_at
        observer = self.rate_limit_observer
        if observer is not None:
            observer(waited)

    def _on_response(
        self,
        event_name: str = "",
        parsed_response: Any = None,
        response_dict: Any = None,
        context: dict[str, Any] | None = None,
        **_: Any,
    ) -> None:
        """Each HTTP attempt's answer: a throttling one lowers its bucket's rate and is counted."""
        if not _is_throttling(parsed_response, response_dict):
            return
        key = context.get(_BUCKET) if isinstance(context, dict) else None
        service = event_name.split(".")[1] if event_name.count(".") >= 2 else ""
        account = self.account_label(key) if key is not None else OPERATOR
        self.metrics.record_throttle(service, account)
        if self.rate_limits is not None and key is not None and isinstance(context, dict):
            sent_at = context.get(_RESERVED_AT)
            self.rate_limits.throttled(
                key, sent_at if isinstance(sent_at, float) else self.rate_limits.clock()
            )


#: The account label of calls by the operator's identity before it is known.
OPERATOR = "operator"


def _is_throttling(parsed_response: Any, response_dict: Any) -> bool:
    status = response_dict.get("status_code") if isinstance(response_dict, dict) else None
    if status == 429:
        return True
    error = parsed_response.get("Error") if isinstance(parsed_response, dict) else None
    return isinstance(error, dict) and error.get("Code") in THROTTLING_CODES


def _sign_as_session(context: dict[str, Any] | None = None, **_: Any) -> None:
    credentials = SESSION_CREDENTIALS.get()
    if credentials is None or context is None:
        raise NoCredentialsError()
    context.setdefault("signing", {})["request_credentials"] = credentials
    account = getattr(credentials, "account", "") or "unknown"
    context[_BUCKET] = BucketKey("account", account)
