"""An OpenAPI 3 description of the JSON API, built from the form's own fields."""

from django import forms
from django.conf import settings

from playground.runs.forms import LatencyListField, RunSpecForm
from playground.runs.models import Run
from playground.strategies import STRATEGIES


def _schema(field: forms.Field) -> dict:
    if isinstance(field, forms.BooleanField):
        out = {"type": "boolean"}
    elif isinstance(field, forms.FloatField):  # before IntegerField: Django's FloatField is one
        out = {"type": "number"}
    elif isinstance(field, forms.IntegerField):
        out = {"type": "integer"}
    elif isinstance(field, LatencyListField):
        out = {
            "type": "array",
            "maxItems": settings.MAX_REQUESTS,
            "items": {"type": "number", "minimum": 0, "maximum": settings.MAX_LATENCY_MS},
        }
    elif isinstance(field, forms.ChoiceField):
        out = {"type": "string", "enum": [value for value, _ in field.choices]}
    else:
        out = {"type": "string"}
    if not field.required:  # the API reads null as "not set", and "" too for a choice
        out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] += ["", None]
    if getattr(field, "min_value", None) is not None:
        out["minimum"] = field.min_value
    if getattr(field, "max_value", None) is not None:
        out["maximum"] = field.max_value
    if field.help_text:
        out["description"] = str(field.help_text)
    return out


def _run_spec_schema() -> dict:
    form = RunSpecForm()
    props = {name: _schema(field) for name, field in form.fields.items()}
    # Each strategy's own required parameters, e.g. semaphore needs limit (and not null).
    needs = [
        {
            "if": {"properties": {"strategy": {"const": s.name}}},
            "then": {"required": list(s.required), "properties": {p: {"not": {"type": "null"}} for p in s.required}},
        }
        for s in STRATEGIES.values()
        if s.required
    ]
    return {
        "type": "object",
        "required": ["strategy"],
        "properties": props,
        "additionalProperties": False,
        "allOf": needs,
    }


_ERRORS = {
    "type": "object",
    "required": ["errors"],
    "properties": {
        "errors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}}
    },
}
_ERROR = {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}}
# An id that is not a UUID matches no API route: Django answers with its HTML "Page not found".
_NOT_FOUND = {
    "description": "No such run; an id that is not a UUID gets the site's HTML 404 page",
    "content": {"application/json": {"schema": _ERROR}, "text/html": {"schema": {"type": "string"}}},
}
_RUN_ID = {"name": "run_id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def openapi_document(*, max_body: int, max_requests: int) -> dict:
    created = {
        "type": "object",
        "required": ["id", "url", "ws"],
        "properties": {k: {"type": "string"} for k in ("id", "url", "ws")},
    }
    cancelling = {
        "type": "object",
        "required": ["id", "status"],
        "properties": {"id": {"type": "string"}, "status": {"const": "cancelling"}},
    }
    run = {
        "type": "object",
        "required": ["id", "url", "ws", "spec", "status", "summary", "events"],
        "properties": {
            "id": {"type": "string"},
            "url": {"type": "string"},
            "ws": {"type": "string"},
            "spec": {"type": "object"},
            "status": {"type": "string", "enum": list(Run.Status.values)},
            "summary": {"type": ["object", "null"]},
            "events": {"type": "array", "items": {"type": "object"}},
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Async playground API",
            "version": "1",
            "description": f"Start runs of up to {max_requests:,} requests and read their events. "
            f"Bodies larger than {max_body:,} bytes are refused.",
        },
        "paths": {
            "/api/runs": {
                "post": {
                    "summary": "Start a run",
                    "requestBody": {"required": True, "content": {"application/json": {"schema": _run_spec_schema()}}},
                    "responses": {
                        "201": _json(created, "The run was started"),
                        "400": _json(_ERRORS, "Field errors, each naming the allowed range"),
                        "403": _json(_ERROR, "CSRF check failed (requests carrying cookies)"),
                        "413": _json(_ERROR, "Body too large"),
                        "429": _json(_ERROR, "Too many runs in flight, yours or the server's"),
                    },
                }
            },
            "/api/runs/{run_id}": {
                "get": {
                    "summary": "A run: spec, status, summary and every event",
                    "parameters": [_RUN_ID],
                    "responses": {"200": _json(run, "The run"), "404": _NOT_FOUND},
                }
            },
            "/api/runs/{run_id}/cancel": {
                "post": {
                    "summary": "Cancel a run in flight",
                    "parameters": [_RUN_ID],
                    "responses": {
                        "202": _json(cancelling, "Cancelling"),
                        "403": _json(
                            _ERROR, "Only the learner who started a run can cancel it; or the CSRF check failed"
                        ),
                        "404": _NOT_FOUND,
                        "409": _json(_ERROR, "The run is not running"),
                    },
                }
            },
        },
    }
