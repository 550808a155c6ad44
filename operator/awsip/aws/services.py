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
- the managed-policy document cache and the global rate limiter, hooked into every client
  through botocore's event system, and the Prometheus metrics
  (:func:`awsip.observability.instrument_boto3_session`: calls by operation and error code;
  the rate limiter's waits through :attr:`AwsServices.rate_limit_observer`),
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

import threading
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

import boto3
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import NoCredentialsError

from awsip.aws.cache import PolicyDocumentCache, TtlCache
from awsip.aws.policy_simulator import IamPolicySimulator, PolicySimulator
from awsip.aws.ratelimit import TokenBucket
from awsip.aws.regions import region_for
from awsip.aws.sts import CallerIdentity, TemporaryCredentials, get_caller_identity
from awsip.observability.botocore_hooks import instrument_boto3_session
from awsip.observability.metrics import record_rate_limit_wait

DEFAULT_CALLS_PER_SECOND = 10.0
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
        rate_limiter: TokenBucket | None = None,
        policy_cache: PolicyDocumentCache[Any] | None = None,
        session_tags: bool = False,
        simulator_factory: Callable[[Any], PolicySimulator] = IamPolicySimulator,
        default_version_ttl: float = DEFAULT_VERSION_TTL,
        denial_ttl: float = DENIAL_TTL,
    ) -> None:
        self.session = instrument_boto3_session(session)
        self.config = config or botocore_config()
        self.rate_limiter = rate_limiter
        self.policy_cache: PolicyDocumentCache[Any] = policy_cache or PolicyDocumentCache()
        self.session_tags = session_tags
        self.simulator_factory = simulator_factory
        self.policy_versions: TtlCache[str, str] = TtlCache(default_version_ttl)
        """Default version id by managed-policy ARN (see :data:`DEFAULT_VERSION_TTL`)."""
        self.denials: TtlCache[tuple[str, str, str], dict[str, Any]] = TtlCache(denial_ttl, max_entries=16384)
        """(identity "session"/"operator", role ARN, operation) -> the AccessDenied response."""
        self.rate_limit_observer: Callable[[float], None] | None = record_rate_limit_wait
        """Called with the seconds each AWS request waited for the rate limit (metrics by default)."""
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
        calls_per_second: float = DEFAULT_CALLS_PER_SECOND,
        session_tags: bool = False,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        read_timeout: float = DEFAULT_READ_TIMEOUT,
    ) -> AwsServices:
        """The operator's services with boto3's default credential chain and region.

        ``calls_per_second`` <= 0 switches the rate limit off. The limit saves up no burst: requests
        are paced ``1 / calls_per_second`` apart, so that no one-second window holds more than
        ``calls_per_second`` of them (IAM throttles per second).
        """
        return cls(
            boto3.session.Session(),
            config=botocore_config(
                max_attempts=max_attempts, connect_timeout=connect_timeout, read_timeout=read_timeout
            ),
            rate_limiter=TokenBucket(calls_per_second, burst=1) if calls_per_second > 0 else None,
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
                client = self._clients[key] = self.session.client(
                    service, region_name=region, config=self.config
                )
            return client

    def temporary_client(self, service: str, region: str, credentials: TemporaryCredentials) -> Any:
        """A client that signs with an assumed-role session's credentials, in this context.

        The client is shared (one per service and region for all sessions); what makes it sign
        as this session is :data:`SESSION_CREDENTIALS`, set here for the current context: use
        the client in the context that asked for it (a verification resets the variable when it
        ends). In a context without credentials it refuses to send anything.
        """
        SESSION_CREDENTIALS.set(
            Credentials(credentials.access_key_id, credentials.secret_access_key, credentials.session_token)
        )
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

    def operator_identity(self, region: str) -> CallerIdentity:
        """The operator's own identity (GetCallerIdentity once; raises botocore errors until it works)."""
        with self._identity_lock:
            if self._identity is None:
                self._identity = get_caller_identity(self.operator_client("sts", region))
            return self._identity

    # -- hooks -------------------------------------------------------------------------------

    def _install_hooks(self) -> None:
        if self.rate_limiter is not None:
            self.session.events.register("before-send", self._rate_limit, unique_id="awsip-rate-limit")

    def _rate_limit(self, **_: Any) -> None:
        assert self.rate_limiter is not None
        waited = self.rate_limiter.acquire()
        observer = self.rate_limit_observer
        if observer is not None:
            observer(waited)


def _sign_as_session(context: dict[str, Any] | None = None, **_: Any) -> None:
    credentials = SESSION_CREDENTIALS.get()
    if credentials is None or context is None:
        raise NoCredentialsError()
    context.setdefault("signing", {})["request_credentials"] = credentials
