"""/api/classes/<code>/gallery: the learners' runs of a class as cards (registered in playground/urls.py).

    GET /api/classes/<code>/gallery   200 {"cards": [...]} newest first (gallery.py)   teacher only (403)

The pause is a setting of the class: PATCH /api/classes/<code> {"runs_paused": bool} (api.py).
"""

from typing import Any

from ninja import Router
from pydantic import BaseModel

from playground.classes import gallery
from playground.classes.api import COMMON, ERRORS, Code, teacher_class

router = Router(tags=["classes"])


class Card(BaseModel):
    run: str
    learner: int
    name: str
    strategy: str | None
    params: dict[str, Any]
    n: int | None
    status: str
    wall_s: float | None
    created: str
    url: str


class Gallery(BaseModel):
    cards: list[Card]


@router.get(
    "/{code}/gallery",
    response={200: Gallery, **ERRORS},
    summary="The learners' runs during the class, as the dashboard's cards (the teacher only)",
    openapi_extra={
        "responses": {
            **COMMON,
            200: {
                "description": f"The cards, newest first, at most {gallery.MAX_CARDS}: nickname, strategy, "
                "parameters, requests (n), status and wall time of each run"
            },
        }
    },
)
async def classes_gallery(request, code: Code):
    classroom = await teacher_class(request, code)
    return 200, {"cards": await gallery.cards_now(classroom=classroom)}
