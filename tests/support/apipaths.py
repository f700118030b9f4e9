"""Every path of the JSON API, as its OpenAPI document lists them (test_api, test_openapi_schema)."""

API_PATHS = (
    "/api/runs",
    "/api/runs/mine",
    "/api/runs/{run_id}",
    "/api/runs/{run_id}/cancel",
    "/api/runs/{run_id}/export",
    "/api/classes",
    "/api/classes/{code}",
    "/api/classes/{code}/join",
    "/api/classes/{code}/roster",
    "/api/classes/{code}/learners/{learner_id}",
    "/api/classes/{code}/gallery",
    "/api/classes/{code}/rounds",
    "/api/classes/{code}/rounds.csv",
    "/api/classes/{code}/guesses",
    "/api/classes/{code}/reveal",
    "/api/classes/{code}/runs",
    "/api/classes/{code}/stage",
)
