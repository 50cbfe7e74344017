import os

from django.core.wsgi import get_wsgi_application

from otklik.core.env import env_int
from otklik.core.serving import ConcurrencyGate

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otklik.settings")
# Requests run at once in this process (core/serving.py); 0 turns the gate off.
_concurrency = env_int("OTKLIK_CONCURRENCY", 2, minimum=0, maximum=1024)
application = get_wsgi_application()
if _concurrency:
    application = ConcurrencyGate(application, _concurrency)  # type: ignore[assignment]
