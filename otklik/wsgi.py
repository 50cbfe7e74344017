import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from otklik.core.env import env_int
from otklik.core.serving import ConcurrencyGate, PathDispatch, handler_with_middleware

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otklik.settings")
# Requests run at once in this process (core/serving.py); 0 turns the gate off.
_concurrency = env_int("OTKLIK_CONCURRENCY", 2, minimum=0, maximum=1024)
application = get_wsgi_application()
# Open311 is a machine API without sessions, sign-in or forms: its requests skip that middleware
# (settings.OPEN311_MIDDLEWARE; the same views, the same limits and headers).
application = PathDispatch(application, "/open311/", handler_with_middleware(settings.OPEN311_MIDDLEWARE))  # type: ignore[assignment]
if _concurrency:
    application = ConcurrencyGate(application, _concurrency)  # type: ignore[assignment]
