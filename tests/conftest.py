"""Shared test setup: the float64 reference on sys.path, a reproducible
hypothesis profile, and a clean functional store / thread setting per test."""

import os
import sys

import pytest
from hypothesis import HealthCheck, settings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

settings.register_profile(
    "ci", deadline=None, derandomize=True, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
settings.register_profile("dev", deadline=None, max_examples=500)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True)
def _clean_state():
    import sepconv
    sepconv.functional.reset()
    sepconv.set_num_threads(None)
    yield
    sepconv.functional.reset()
    sepconv.set_num_threads(None)
