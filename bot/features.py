"""What an unanswered question is grouped by: the engine computes it (bot/engine/answer.py `group_features`), the
team's question groups compare it (bot/team/groups.py). A value type shared by both, so neither imports the other."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Features:
    """What a question is compared by: its centred unit meaning vector and its word weights (unit length)."""

    vector: np.ndarray
    terms: dict[str, float]
