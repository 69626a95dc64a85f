"""
Run the legacy portal: ``python -m legacy_portal --port 8765 [--mode slow --delay 3]``.
"""

from __future__ import annotations

import argparse
import pathlib

import uvicorn

from legacy_portal.app import DATA, MODES, create_app


def main() -> None:
    parser = argparse.ArgumentParser(prog="legacy_portal", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--data", type=pathlib.Path, default=DATA)
    parser.add_argument("--mode", choices=MODES, default="normal")
    parser.add_argument("--delay", type=float, default=2.0, help="seconds, in slow mode")
    args = parser.parse_args()
    app = create_app(args.data, mode=args.mode, delay=args.delay)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
