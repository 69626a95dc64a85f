"""``python -m ircc_account.testing.fuzz``: see :func:`ircc_account.testing.fuzz.main`."""

from __future__ import annotations

import sys

from ircc_account.testing.fuzz import main

sys.exit(main())
