"""How much a person may type or attach, one table for every form (the pages' `max_chars` read it too).

Unbounded text would also be cut off at Excel's 32,767 characters a cell on export.
"""

from __future__ import annotations

LIMITS = {
    "inspector": 50,
    "description": 2000,
    "immediate_measure": 1000,
    "responsible_unit": 200,
    "responsible_person": 100,
    "requirement": 2000,
    "text": 2000,
    "reason": 1000,
    "fix_report": 2000,
}
MAX_PHOTOS = 12
"""Evidence photos per finding, and per fix report."""
