"""The rosters app's one error, shown to the user as it is, and its refusal."""

from __future__ import annotations

from suiqian.accounts.scope import Refused

from .terms import Term, TermError


class RosterError(Exception):
    """A domain error whose message is shown to the user as it is."""


class NotAllowed(Refused, RosterError):
    pass


def parse_term(text) -> Term:
    try:
        return Term.parse(text)
    except TermError as e:
        raise RosterError(str(e)) from e

