"""Fixtures for the scale tests: one throw-away two-replica Rasa deployment per session.

PostgreSQL and Redis must be reachable (see ``cluster.py`` for where); without
them the tests that need them are skipped with the reason, except under
``CI=true``, where a missing store is a failure.
"""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import require

from .cluster import MODEL, Cluster, running_cluster, stores_unreachable


def skip_or_fail(reason: str) -> None:
    require(False, reason)


@pytest.fixture(scope="session")
def scale_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    if not MODEL.exists():
        skip_or_fail("no trained model: run scripts/setup.sh, which trains it")
    reason = stores_unreachable()
    if reason:
        skip_or_fail(reason)
    with running_cluster(tmp_path_factory.mktemp("scale-logs")) as cluster:
        yield cluster
