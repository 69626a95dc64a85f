"""
What every command prints: escaped text, progress lines, tables, and failures.

Text that comes from the database, a file or a plugin's metadata is passed
through :func:`escape` before it is printed, so a partition id holding a line
break or an ANSI escape stays one inert line (SEC-69).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TextIO

__all__ = ["CliError", "ProgressLine", "escape", "table"]


class CliError(Exception):
    """
    A failure the command reports as one line on stderr, then exits with *status*.

    Args:
        message: The line, already escaped where it quotes outside text.
        status: The exit status (2: usage, configuration or database error).
    """

    def __init__(self, message: str, status: int = 2) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def escape(value: object) -> str:
    """
    *value* as one printable line: a backslash doubled, every other
    non-printable character (controls, line and paragraph separators,
    bidirectional overrides) written as ``\\xNN``, ``\\uNNNN`` or ``\\UNNNNNNNN``.
    """
    out: list[str] = []
    for ch in str(value):
        if ch == "\\":
            out.append("\\\\")
        elif ch == " " or ch.isprintable():
            out.append(ch)
        elif (n := ord(ch)) < 0x100:
            out.append(f"\\x{n:02x}")
        else:
            out.append(f"\\u{n:04x}" if n < 0x10000 else f"\\U{n:08x}")
    return "".join(out)


class ProgressLine:
    """
    Progress on *stream*: one line redrawn ten times a second on a terminal,
    else a new line at most every *interval* seconds (and always the last).

    Args:
        stream: Where to write (stderr).
        label: What is going on (``verifying``).
        unit: What is counted (``entries``).
        interval: Seconds between lines when *stream* is not a terminal.
    """

    def __init__(self, stream: TextIO, label: str, unit: str, *, interval: float = 1.0) -> None:
        self.stream = stream
        self.label = label
        self.unit = unit
        self.tty = stream.isatty()
        self.interval = 0.1 if self.tty else interval
        self.started = time.monotonic()
        self.drawn: float | None = None
        self.pending = False

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if self.drawn is not None and now - self.drawn < self.interval and done < total:
            return
        self.drawn = now
        rate = done / max(now - self.started, 1e-9)
        pct = min(100.0, 100.0 * done / total) if total else 100.0
        line = f"{self.label}: {done:,}/{total:,} {self.unit} ({pct:5.1f}%) {rate:,.0f}/s"
        if self.tty:
            self.stream.write(f"\r{line}")
            self.pending = True
        else:
            self.stream.write(f"{line}\n")
        self.stream.flush()

    def finish(self) -> None:
        """
        End the redrawn line, if one was drawn.
        """
        if self.pending:
            self.stream.write("\n")
            self.stream.flush()
            self.pending = False


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """
    *rows* under *header* in aligned columns; every cell escaped.
    """
    cells = [list(header)] + [[escape(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    return [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    ]
