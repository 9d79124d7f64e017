"""Hypothesis profiles: `ci` (default, bounded: the whole fuzz suite stays well under a minute) and
`long` (the documented campaign, docs/fuzzing.md). Choose with HYPOTHESIS_PROFILE."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase

_SLOW_DATA = [HealthCheck.too_slow, HealthCheck.data_too_large]
settings.register_profile("ci", max_examples=150, deadline=None, database=None, derandomize=False,
                          suppress_health_check=_SLOW_DATA, print_blob=True)
settings.register_profile("long", max_examples=int(os.environ.get("FUZZ_EXAMPLES", "20000")), deadline=None,
                          database=DirectoryBasedExampleDatabase(".hypothesis/examples"),
                          suppress_health_check=_SLOW_DATA, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
