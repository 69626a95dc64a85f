"""
Run every benchmark (or the ones named) and print one Markdown report.

    python benchmarks/run.py            # all
    python benchmarks/run.py crypto     # those whose module name contains "crypto"

PostgreSQL benchmarks start a throw-away server on 127.0.0.1 (as the tests
do) and are skipped, loudly, where no PostgreSQL binary exists.
"""

from __future__ import annotations

import importlib
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _harness import Report  # noqa: E402


def main(argv: list[str]) -> int:
    wanted = argv[1:]
    modules = sorted(p.stem for p in HERE.glob("bench_*.py"))
    if wanted:
        modules = [m for m in modules if any(w in m for w in wanted)]
    for name in modules:
        mod = importlib.import_module(name)
        report = Report(title=mod.__doc__.strip().splitlines()[0] if mod.__doc__ else name)
        mod.run(report)
        print(report.render(), flush=True)
        print(flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
