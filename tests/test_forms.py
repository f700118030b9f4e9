"""RunSpecForm: ranges named in every error, required parameters, and the spec it builds."""

import pytest

from playground.runs.forms import RunSpecForm, SpecTypeError, form_from_json
from playground.runs.presets import PRESETS
from playground.strategies import STRATEGIES

BAD_VALUES = [
    ("limit", 0, "between 1 and 10,000."),
    ("batch_size", 10_001, "between 1 and 10,000."),
    ("workers", 0, "between 1 and 1,000."),
    ("workers", 1_001, "between 1 and 1,000."),
    ("rate", 0.05, "between 0.1 requests/s and 10,000 requests/s."),
    ("rate", 20_000, "between 0.1 requests/s and 10,000 requests/s."),
    ("timeout_ms", 0, "between 1 ms and 60,000 ms."),
    ("timeout_ms", 60_001, "between 1 ms and 60,000 ms."),
    ("deadline_ms", 0, "between 1 ms and 120,000 ms."),
    ("deadline_ms", 120_001, "between 1 ms and 120,000 ms."),
    ("retries", -1, "between 0 and 10."),
    ("retries", 11, "between 0 and 10."),
    ("retries", 1.5, "between 0 and 10."),
    ("hang_rate", 1.5, "between 0 and 1."),
    ("reset_rate", -0.1, "between 0 and 1."),
    ("server_rate", 0, "between 0.1 requests/s and 10,000 requests/s."),
    ("server_limit", 0, "between 1 and 10,000."),
]


def errors_of(form) -> dict[str, list[str]]:
    assert not form.is_valid()
    return {k: [e["message"] for e in v] for k, v in form.errors.get_json_data().items()}


@pytest.mark.parametrize("field,value,text", BAD_VALUES)
def test_a_bad_value_gets_an_error_naming_the_range(field, value, text):
    for form in (
        form_from_json({"strategy": "gather", field: value}),  # the JSON API
        RunSpecForm(data={"strategy": "gather", field: str(value)}),
    ):  # the HTML form
        errors = errors_of(form)
        assert any(text in message for message in errors[field]), errors


@pytest.mark.parametrize("field", ["rate", "timeout_ms", "retries", "server_limit"])
def test_a_json_string_is_not_a_number(field):
    with pytest.raises(SpecTypeError) as caught:
        form_from_json({"strategy": "gather", field: "10"})
    assert "Must be a JSON number. Must be between" in caught.value.errors[field][0]


REQUIRED = {
    "semaphore": "limit",
    "pool": "limit",
    "batches": "batch_size",
    "workers": "workers",
    "rate_limit": "rate",
    "timeout": "timeout_ms",
    "retry": "retries",
}


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_each_strategy_requires_its_own_parameters(name):
    assert STRATEGIES[name].required == ((REQUIRED[name],) if name in REQUIRED else ())
    form = form_from_json({"strategy": name})
    if name not in REQUIRED:
        assert form.is_valid(), form.errors
        return
    message = errors_of(form)[REQUIRED[name]][0]
    assert message.startswith(f"Required by the {name} strategy. Must be between")


def spec_of(payload: dict) -> dict:
    form = form_from_json(payload)
    assert form.is_valid(), form.errors
    return form.spec()


def test_the_spec_keeps_the_strategys_parameters_and_the_guards_in_use():
    spec = spec_of(
        {
            "strategy": "as_completed",
            "requests": 5,
            "limit": 3,
            "timeout_ms": 500,
            "retries": 2,
            "deadline_ms": 4000,
            "rate": 2.5,
            "batch_size": 4,
            "workers": 9,
            "return_exceptions": True,
        }
    )
    assert spec == {
        "strategy": "as_completed",
        "requests": 5,
        "latency_ms": 200,
        "jitter_ms": 0,
        "failure_rate": 0,
        "seed": 1,
        "limit": 3,
        "rate": 2.5,
        "timeout_ms": 500,
        "retries": 2,
        "deadline_ms": 4000,
    }  # batch_size, workers: other strategies'


def test_the_spec_leaves_out_what_is_off():
    spec = spec_of({"strategy": "gather", "retries": 0, "hang_rate": 0, "server_rate": None})
    assert "retries" not in spec and "hang_rate" not in spec and "server_rate" not in spec
    assert spec["return_exceptions"] is False  # gather's own parameter is always stated
    assert spec_of({"strategy": "retry", "retries": 0})["retries"] == 0  # the retry strategy's own


def test_the_spec_keeps_the_demo_apis_misbehaviour():
    spec = spec_of(
        {"strategy": "retry", "retries": 3, "hang_rate": 0.1, "reset_rate": 0.05, "server_rate": 10, "server_limit": 4}
    )
    assert {k: spec[k] for k in ("hang_rate", "reset_rate", "server_rate", "server_limit")} == {
        "hang_rate": 0.1,
        "reset_rate": 0.05,
        "server_rate": 10,
        "server_limit": 4,
    }


def test_every_guard_and_server_field_has_help_text():
    form = RunSpecForm()
    for name in (
        "limit",
        "rate",
        "timeout_ms",
        "retries",
        "deadline_ms",
        "batch_size",
        "workers",
        "hang_rate",
        "reset_rate",
        "server_rate",
        "server_limit",
    ):
        assert form.fields[name].help_text, name


def test_every_preset_is_a_valid_spec_with_something_to_notice():
    names = [p["name"] for p in PRESETS]
    assert len(set(names)) == len(names)
    assert names[:6] == [
        "three-tasks",
        "three-tasks-sequential",
        "three-200-sequential",
        "three-200-gather",
        "semaphore-2",
        "thousand-50",
    ]  # the lesson's, kept
    for preset in PRESETS:
        assert spec_of(preset["spec"])["strategy"] == preset["spec"]["strategy"]
        assert preset["text"].endswith(".") and preset["label"]
