"""
``python -m ircc_account.testing.review --config FILE [--examples N] [PATH ...]``:
the same as ``ircc-account review``.
"""

from __future__ import annotations

import sys

from ircc_account.cli import main

if __name__ == "__main__":
    sys.exit(main(["review", *sys.argv[1:]]))
