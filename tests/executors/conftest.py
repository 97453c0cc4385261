"""Makes `contract` (the shared executor contract tests) importable by the executor test modules.

The directory is put on sys.path rather than importing `executors.contract` from `tests/`:
that name would resolve to the real `executors/` package when pytest runs from the repo root.
"""

from __future__ import annotations

import sys
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
