"""What Pattern and Clause remember on first use (variables, wildcards, key, opacity, hash) is
what they would work out afresh, and never makes two equal objects differ."""

from __future__ import annotations

import dataclasses

from awsip.policy.model import Clause, Pattern, Variable, Wild

from .helpers import managed


def _fresh_clause(clause: Clause) -> Clause:
    return Clause(**{f.name: getattr(clause, f.name) for f in dataclasses.fields(clause) if f.init})


def test_remembered_properties_are_those_worked_out_afresh() -> None:
    document = managed("AmazonEC2FullAccess")
    clauses = [c for s in document.statements for c in s.conditions]
    assert clauses
    for clause in clauses:
        untouched = _fresh_clause(clause)
        assert clause.key == clause.key_name.lower()
        assert clause.opaque is any(isinstance(t, Variable) for p in clause.values for t in p.tokens)
        assert hash(clause) == hash(untouched) and clause == untouched
        assert hash(untouched) == hash(clause)  # and in the other order of first use
    patterns = [p for s in document.statements for p in (*s.actions.patterns, *s.resources.patterns)]
    for pattern in patterns:
        untouched = Pattern(pattern.text, pattern.tokens)
        assert pattern.has_wildcards is any(isinstance(t, Wild) for t in pattern.tokens)
        assert pattern.variables == tuple(t for t in pattern.tokens if isinstance(t, Variable))
        assert pattern == untouched and hash(pattern) == hash(untouched)


def test_variables_and_wildcards_of_a_pattern() -> None:
    user = Variable("aws:username")
    pattern = Pattern("home/${aws:username}/*", ("home/", user, "/", Wild.STAR))
    assert pattern.variables == (user,) and pattern.variables == (user,)
    assert pattern.has_wildcards and pattern.has_wildcards
    plain = Pattern("home", ("home",))
    assert plain.variables == () and not plain.has_wildcards
    assert plain != pattern
