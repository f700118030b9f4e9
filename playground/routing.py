from django.urls import re_path

from playground.classes.consumers import ClassConsumer
from playground.runs.consumers import RunConsumer

websocket_urlpatterns = [
    # Any id reaches the consumer, which answers a malformed one with an error and a close.
    re_path(r"^ws/runs/(?P<run_id>[\s\S]*)/$", RunConsumer.as_asgi()),
    re_path(r"^ws/classes/(?P<code>[\s\S]*)/$", ClassConsumer.as_asgi()),
]
