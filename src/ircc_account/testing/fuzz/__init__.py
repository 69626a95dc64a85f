"""
Fuzzing harnesses for the parsers that read what an attacker sends.

Each harness (a :class:`FuzzTarget`) feeds arbitrary bytes to one parser
and holds it to its contract: it succeeds or raises one of the library's
typed errors (an :class:`~ircc_account.errors.IrccAccountError`), never
another exception, and its error never repeats the input's secrets (codes,
states, token segments, claim values, answers). The targets:

``callback``
    the authorization response (the callback's query string);
``id-token`` and ``logout-token``
    the JOSE parser and the ID-token and logout-token validators (raw
    tokens, and fuzzed claims under a valid signature);
``delegation-token``
    the delegation token verifier a legacy system runs;
``answers``
    the application engine: answers saved (the visitor visa's and the
    passport renewal's forms), read back from storage, evaluated (rules,
    conditions, hints, checklist, fees) and written as the signed statement.

Run one with ``python -m ircc_account.testing.fuzz TARGET`` (see
:func:`main`): with atheris installed (the ``testing`` extra on Linux
x86-64), coverage-guided; without it, hypothesis' random and mutated inputs.
:func:`smoke` is the bounded run the test suite makes.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
from collections.abc import Iterable, Sequence

from ircc_account.testing.fuzz._engine import corpus_seeds, run_atheris, run_hypothesis
from ircc_account.testing.fuzz._harness import ContractBroken, FuzzTarget
from ircc_account.testing.fuzz._targets import TARGETS

__all__ = ["TARGETS", "ContractBroken", "FuzzTarget", "main", "smoke"]

for _name in ("ContractBroken", "FuzzTarget"):
    globals()[_name].__module__ = __name__


def smoke(name: str, *, examples: int = 100, corpus: Iterable[pathlib.Path] = ()) -> int:
    """
    Check target *name* on its seeds, the seeds found in *corpus* (see
    :func:`main`'s ``--corpus``), and *examples* generated inputs, the same
    ones each time (derandomized hypothesis). Returns how many inputs were
    checked.

    Raises:
        ContractBroken: an input broke the contract.
        KeyError: no target is called *name*.
    """
    target = TARGETS[name]
    seeds = [*target.seeds(), *corpus_seeds(corpus)]
    return run_hypothesis(
        target, seeds, runs=len(seeds) + examples, seconds=None, crashes=None, derandomize=True
    )


def _engine(choice: str) -> str:
    if choice != "auto":
        return choice
    try:
        import atheris  # noqa: F401 (only whether it imports)
    except ImportError:
        return "hypothesis"
    return "atheris"


def main(argv: Sequence[str] | None = None) -> int:
    """
    The fuzzing command: ``python -m ircc_account.testing.fuzz TARGET
    [--runs N | --seconds S] [--engine auto|atheris|hypothesis] [--corpus
    PATH ...] [--crashes DIR] [--work DIR]``.

    ``--corpus`` adds seeds: a directory of inputs (one per file), or a
    ``.json`` file whose compact JWS strings become raw tokens. New inputs
    atheris finds go to ``--work`` (``fuzz-corpus/TARGET``); an input that
    breaks the contract goes to ``--crashes`` (``fuzz-crashes``) as
    ``TARGET-crash-SHA1``; replay it with ``--replay FILE``. Without
    ``--runs`` or ``--seconds`` it runs until stopped. Returns 0 when
    nothing broke the contract, 1 when an input did (the atheris engine
    exits the process with libFuzzer's status instead of returning).
    """
    parser = argparse.ArgumentParser(prog="python -m ircc_account.testing.fuzz")
    parser.add_argument("target", choices=[*sorted(TARGETS), "list"])
    limit = parser.add_mutually_exclusive_group()
    limit.add_argument("--runs", type=int)
    limit.add_argument("--seconds", type=float)
    parser.add_argument("--engine", choices=["auto", "atheris", "hypothesis"], default="auto")
    parser.add_argument("--corpus", type=pathlib.Path, action="append", default=[])
    parser.add_argument("--crashes", type=pathlib.Path, default=pathlib.Path("fuzz-crashes"))
    parser.add_argument("--work", type=pathlib.Path)
    parser.add_argument("--replay", type=pathlib.Path)
    args = parser.parse_args(argv)
    if args.target == "list":
        for name, target in sorted(TARGETS.items()):
            print(f"{name:18} {target.summary}")
        return 0
    target = TARGETS[args.target]
    if args.replay is not None:
        target.check(args.replay.read_bytes())
        print(f"{args.replay}: the contract holds")
        return 0
    seeds = [*target.seeds(), *corpus_seeds(args.corpus)]
    if _engine(args.engine) == "atheris":
        work = args.work or pathlib.Path("fuzz-corpus") / target.name
        dirs = [p for p in args.corpus if p.is_dir()]
        run_atheris(
            target, seeds, runs=args.runs, seconds=args.seconds, crashes=args.crashes,
            work=work, extra_corpora=dirs,
        )  # fmt: skip
    try:
        checked = run_hypothesis(
            target, seeds, runs=args.runs, seconds=args.seconds, crashes=args.crashes
        )
    except ContractBroken as error:
        print(f"{target.name}: {error} (cause: {error.__cause__!r})", file=sys.stderr)
        return 1
    print(f"{target.name}: {checked} inputs, the contract held")
    return 0
