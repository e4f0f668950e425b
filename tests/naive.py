"""Slow, obviously correct reference implementations that the fast code is tested against.

Keep these simple: plain Python/NumPy loops that follow the textbook definition, no tricks.
"""

from __future__ import annotations

import math

import numpy as np
