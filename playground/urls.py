from django.urls import path

from playground.runs import api, views

urlpatterns = [
    path("", views.index, name="index"),
    path("runs/<uuid:run_id>/", views.run_page, name="run"),
    path("api/runs", api.runs_create, name="api-runs"),
    path("api/runs/<uuid:run_id>", api.runs_detail, name="api-run"),
    path("api/runs/<uuid:run_id>/cancel", api.runs_cancel, name="api-run-cancel"),
    path("api/openapi.json", api.openapi, name="openapi"),
]
