"""The demo tests use the appeals tests' small world (one region, two organisations with their staff)."""

from tests.appeals.conftest import world  # noqa: F401
