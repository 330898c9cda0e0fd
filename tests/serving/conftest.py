"""A file database migrated once for the tests that start real processes; each test copies it."""

import shutil

import pytest

from tests.qcluster import cluster_env, manage


@pytest.fixture(scope="session")
def _migrated_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    manage(cluster_env(path, gateway_url=""), "migrate", "-v0")
    return path


@pytest.fixture
def migrated_db(_migrated_template, tmp_path):
    """A fresh copy of a migrated SQLite database (schedules synced), in this test's folder."""
    path = tmp_path / "portal.sqlite3"
    shutil.copyfile(_migrated_template, path)
    return path
