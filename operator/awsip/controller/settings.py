"""Kopf's settings for awsip, and why.

Persistence -- none that serves nothing:
    Kopf can keep its handlers' progress and the last handled spec (the "diff-base" that tells
    ``on.update`` what changed) in annotations; each costs a write of the object. awsip needs
    neither: it has no create/update/resume handlers (the runtime tells a changed spec itself, by
    the parsed spec's fingerprint in memory and, across restarts, ``metadata.generation`` against
    ``status.observedGeneration``), so Kopf's changing handlers -- if any, e.g. on deletion -- run
    for the moment only, and the diff-base is never stored (:class:`NoDiffBaseStorage`). What Kopf
    does keep is in annotations under ``awsip.io/`` (not ``status.kopf``: the CRD's structural
    status schema would prune it).

The spec as Kopf sees it, without the External ID:
    Kopf builds an "essence" of each object to compare it (and logs it at debug level). An inline
    ``spec.externalID`` is replaced there by a salted digest: a changed External ID still counts as
    a change, but its value is not copied anywhere else.

Finalizer -- Kopf's, named ``awsip.io/finalizer``:
    Kopf puts it on every provider because each has a daemon (its verification loop), and removes
    it once the daemon has stopped after a deletion.

Events -- posted by awsip itself:
    awsip posts exactly one Event per change of ``Ready`` through its own API client. Kopf's
    implicit posting of log lines as Events is off (``posting.loggers``) and the level of what
    Kopf may post is raised to warnings, so handler chatter never becomes Events.

Watching:
    Server-side watch timeout of 10 minutes (re-listing reconciles anything a stream missed) and a
    client-side one slightly longer, so a silently dead connection is noticed.
"""

from __future__ import annotations

import copy
import hashlib
import logging
from collections.abc import Iterable
from typing import Any, Final

import kopf

ANNOTATIONS_PREFIX: Final = "awsip.io"
#: Whole seconds: Kopf sends it as ?timeoutSeconds=..., which the API server parses as an integer
#: ("600.0" is refused with 400, and the watch dies).
WATCH_SERVER_TIMEOUT: Final = 600
WATCH_CLIENT_TIMEOUT: Final = 660.0


class SpecDiffBaseStorage(kopf.AnnotationsDiffBaseStorage):
    """Kopf's annotation diff-base with ``spec.externalID`` replaced by a digest."""

    def build(self, *, body: kopf.Body, extra_fields: Iterable[Any] | None = None) -> kopf.BodyEssence:
        essence = super().build(body=body, extra_fields=extra_fields)
        spec = essence.get("spec") if isinstance(essence, dict) else None
        if isinstance(spec, dict) and isinstance(spec.get("externalID"), str):
            essence = copy.deepcopy(essence)
            salt = str(body.get("metadata", {}).get("uid", ""))
            digest = hashlib.sha256(f"{salt}:{spec['externalID']}".encode()).hexdigest()
            essence["spec"]["externalID"] = f"sha256:{digest}"
        return essence


class NoDiffBaseStorage(SpecDiffBaseStorage):
    """A diff-base that is never written (nor read: an annotation left by an older awsip counts
    for nothing). Every object then looks new to Kopf's changing handlers, which awsip does not
    rely on: it saves one write of every provider created or changed."""

    def fetch(self, *, body: kopf.Body) -> kopf.BodyEssence | None:
        return None

    def store(self, *, body: kopf.Body, patch: kopf.Patch, essence: kopf.BodyEssence) -> None:
        pass


FINALIZER: Final = "awsip.io/finalizer"


def apply(settings: kopf.OperatorSettings) -> None:
    settings.persistence.finalizer = FINALIZER
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=ANNOTATIONS_PREFIX)
    settings.persistence.diffbase_storage = NoDiffBaseStorage(
        prefix=ANNOTATIONS_PREFIX, key="last-handled-configuration"
    )
    settings.posting.loggers = False
    settings.posting.level = logging.WARNING
    settings.watching.server_timeout = WATCH_SERVER_TIMEOUT
    settings.watching.client_timeout = WATCH_CLIENT_TIMEOUT
    settings.watching.connect_timeout = 30
    settings.networking.request_timeout = 60
    settings.networking.connect_timeout = 30
