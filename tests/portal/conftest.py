from tests.intake.conftest import _fast_passwords, _media, citizens  # noqa: F401 - shared fixtures
