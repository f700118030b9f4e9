"""ASGI entry point: HTTP to Django, websockets to the run consumer.

Importing this module also starts the demo API (unless PLAYGROUND_DEMO_API_URL
names one), marks runs a previous server left unfinished as interrupted, and freezes
what start-up made out of the collector's way.
"""

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "playground.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from channels.sessions import SessionMiddlewareStack  # noqa: E402
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402

from playground import urls  # noqa: E402, F401  (the URLconf and its views, loaded now to be frozen below)
from playground.demoapi.process import demo_api_url  # noqa: E402
from playground.routing import websocket_urlpatterns  # noqa: E402
from playground.runs.recovery import runs_interrupt_unfinished  # noqa: E402

application = ProtocolTypeRouter(
    {
        # The playground serves its own assets (offline classrooms, one command);
        # a bigger deployment can put a web server in front of STATIC_ROOT instead.
        "http": ASGIStaticFilesHandler(django_asgi_app),
        "websocket": AllowedHostsOriginValidator(SessionMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)

if os.environ.get("PLAYGROUND_STARTUP", "1") == "1":
    runs_interrupt_unfinished()
    demo_api_url()

# What start-up made (Django, Channels, the playground, its URLconf and views, loaded here rather
# than at the first request) stays for good: out of the collector's way. Otherwise each full
# collection walked all of it, 74-118 ms in which no socket was sent to and no page answered (4 of
# them during bench/load.py's class); frozen, 12-22 ms most of them.
gc.freeze()
