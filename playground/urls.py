from django.urls import path

from playground.runs import views
from playground.runs.api import api

urlpatterns = [
    path("", views.index, name="index"),
    path("runs/<uuid:run_id>/", views.run_page, name="run"),
    path("compare/", views.compare, name="compare"),  # ?runs=<id>,<id>[,<id>,<id>]
    path("api/", api.urls),  # /api/runs, /api/runs/<uuid>, /api/runs/<uuid>/cancel, /api/openapi.json
]
