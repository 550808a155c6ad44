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

The spec as Kopf sees it -- nothing of it:
    Kopf builds an "essence" of each object to compare it with the diff-base (and logs it at
    debug level). awsip's is empty (:class:`NoDiffBaseStorage`): nothing of the spec, an inline
    ``spec.externalID`` included, is copied into it, and building it costs nothing on each event.

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

import logging
from collections.abc import Iterable
from typing import Any, Final

import kopf

ANNOTATIONS_PREFIX: Final = "awsip.io"
#: Whole seconds: Kopf sends it as ?timeoutSeconds=..., which the API server parses as an integer
#: ("600.0" is refused with 400, and the watch dies).
WATCH_SERVER_TIMEOUT: Final = 600
WATCH_CLIENT_TIMEOUT: Final = 660.0


class NoDiffBaseStorage(kopf.AnnotationsDiffBaseStorage):
    """A diff-base that is never written nor read (an annotation left by an older awsip counts
    for nothing), and whose essence is empty. Every object then looks new to Kopf's changing
    handlers, which awsip does not rely on: it saves one write of every provider created or
    changed. Kopf builds the essence of every watch event and copies it twice to compare it with
    the stored one (there is none): empty, that costs nothing, and no part of the spec (an inline
    External ID) is copied or logged by Kopf."""

    def build(self, *, body: kopf.Body, extra_fields: Iterable[Any] | None = None) -> kopf.BodyEssence:
        return kopf.BodyEssence()

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
