"""
The harness contract: what every fuzz target checks for each input.

A target's body takes the fuzzer's bytes, feeds them to one of the
library's parsers, and, as it reads the input, adds to a list the strings
that must never appear in an error (codes, states, token segments, claim
values, answers).
:meth:`FuzzTarget.check` runs the body and enforces the contract: success,
or an :class:`~ircc_account.errors.IrccAccountError` whose messages (both
languages), ``str`` and ``repr`` carry none of those strings. Anything else
(another exception, an echoed secret) raises :class:`ContractBroken`, which
the engines report as a crash.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import attrs

from ircc_account.errors import IrccAccountError

__all__ = ["ContractBroken", "FuzzTarget"]

# Shorter strings (a "1", a "yes") occur in messages by chance, so only
# values at least this long count as echoed.
MIN_SECRET = 8


class ContractBroken(AssertionError):
    """
    A parser broke its contract on one input: it raised something other
    than the library's typed errors, or its error repeated part of the input.
    """


def _texts(error: IrccAccountError) -> list[str]:
    return [str(error), repr(error), error.message("en"), error.message("fr")]


def check_error(error: IrccAccountError, secrets: Iterable[str]) -> None:
    """Raise :class:`ContractBroken` when *error*'s text carries any of *secrets*."""
    texts = _texts(error)
    for secret in secrets:
        if len(secret) >= MIN_SECRET and any(secret in text for text in texts):
            raise ContractBroken(f"{type(error).__name__} repeats part of its input")


@attrs.frozen(kw_only=True)
class FuzzTarget:
    """
    One fuzzing harness: a parser of the library and the contract it keeps.

    Attributes:
        name: The name the runner knows it by (``callback``, ``id-token``, ...).
        summary: What it feeds to which parser, in one line.
        body: Feeds one input to the parser, first adding the input's
            secret strings to the list it is given; it lets the parser's
            error through unchanged.
        seeds: The built-in seed corpus (valid and adversarial inputs).
    """

    name: str
    summary: str
    body: Callable[[bytes, list[str]], None] = attrs.field(repr=False)
    seeds: Callable[[], Sequence[bytes]] = attrs.field(repr=False)

    def check(self, data: bytes) -> None:
        """
        Run the harness on *data*.

        Raises:
            ContractBroken: the parser raised another exception (chained as
                the cause) or an error that repeats part of the input.
        """
        secrets: list[str] = []
        try:
            self.body(data, secrets)
        except IrccAccountError as error:
            check_error(error, secrets)
        except ContractBroken:
            raise
        except Exception as error:
            raise ContractBroken(
                f"{self.name}: {type(error).__name__} is not a library error"
            ) from error
