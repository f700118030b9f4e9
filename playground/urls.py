from django.urls import path

from playground.classes import views as class_views
from playground.classes.api import router as classes_router
from playground.classes.gallery_api import router as gallery_router
from playground.classes.rounds_api import router as rounds_router
from playground.classes.stage_api import router as stage_router
from playground.runs import views
from playground.runs.api import api

api.add_router("/classes", classes_router)  # /api/classes...: classes/api.py
api.add_router("/classes", gallery_router)  # /api/classes/<code>/gallery: classes/gallery_api.py
api.add_router("/classes", rounds_router)  # /api/classes/<code>/rounds, guesses, reveal: classes/rounds_api.py
api.add_router("/classes", stage_router)  # /api/classes/<code>/runs and /stage: classes/stage_api.py

urlpatterns = [
    path("", views.index, name="index"),
    path("runs/<uuid:run_id>/", views.run_page, name="run"),
    path("compare/", views.compare, name="compare"),  # ?runs=<id>,<id>[,<id>,<id>]
    path("class/", class_views.class_start, name="class-start"),  # POST: start a class, then its page
    path("class/<str:code>/", class_views.class_page, name="class"),  # the teacher's page, or join, or joined
    path("class/<str:code>/projector/", class_views.class_projector, name="class-projector"),  # the teacher's only
    path("api/", api.urls),  # /api/runs, /api/runs/<uuid>, /api/runs/<uuid>/cancel, /api/openapi.json
]
