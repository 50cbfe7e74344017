from tests.intake.conftest import _fast_passwords, _media, citizens  # noqa: F401 - shared fixtures
from tests.reports.conftest import rworld  # noqa: F401 - shared fixtures
from tests.workspace.conftest import two_orgs  # noqa: F401 - shared fixtures
