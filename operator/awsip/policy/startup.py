"""What a process that checks roles prepares before its first check (``awsip run`` at startup).

The policy engine's work that depends on no role -- opening the authorization catalog, compiling
the built-in profiles and working out the requests each of their actions stands for
(:meth:`~awsip.policy.engine.PolicyEngine.prepare`) -- is done once, so that no provider's first
verification pays for it. Verdicts are the same either way (tests compare them).
"""

from __future__ import annotations

from awsip.policy.engine import PolicyEngine, default_engine
from awsip.policy.parse import parse_policy
from awsip.profiles import PROFILES, load_profile


def prepare_builtin_profiles(engine: PolicyEngine | None = None) -> None:
    """Prepare every built-in profile in ``engine`` (the default engine), each named as the
    verification names a profile's document (its profile name), so that its checks find it."""
    engine = engine or default_engine()
    for name in PROFILES:
        engine.prepare(parse_policy(load_profile(name), name=name))
