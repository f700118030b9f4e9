"""RunSpec and its HTML form: ranges named in every error, required parameters, the spec they build.

The JSON API and the form go through the same model; here in-process, in test_api.py over HTTP.
"""

import pytest

from playground.runs.forms import RunSpecForm
from playground.runs.presets import PRESETS
from playground.runs.spec import FIELDS, RunSpec, SpecError, field_table, kind_of, limits_of, spec_from_json
from playground.strategies import STRATEGIES

BAD_VALUES = [
    ("limit", 0, "Must be between 1 and 10,000."),
    ("batch_size", 10_001, "Must be between 1 and 10,000."),
    ("workers", 0, "Must be between 1 and 1,000."),
    ("workers", 1_001, "Must be between 1 and 1,000."),
    ("rate", 0.05, "Must be between 0.1 requests/s and 10,000 requests/s."),
    ("rate", 20_000, "Must be between 0.1 requests/s and 10,000 requests/s."),
    ("timeout_ms", 0, "Must be between 1 ms and 60,000 ms."),
    ("timeout_ms", 60_001, "Must be between 1 ms and 60,000 ms."),
    ("deadline_ms", 0, "Must be between 1 ms and 120,000 ms."),
    ("deadline_ms", 120_001, "Must be between 1 ms and 120,000 ms."),
    ("retries", -1, "Must be between 0 and 10."),
    ("retries", 11, "Must be between 0 and 10."),
    ("retries", 1.5, "Must be a whole number. Must be between 0 and 10."),
    ("hang_rate", 1.5, "Must be between 0 and 1."),
    ("reset_rate", -0.1, "Must be between 0 and 1."),
    ("server_rate", 0, "Must be between 0.1 requests/s and 10,000 requests/s."),
    ("server_limit", 0, "Must be between 1 and 10,000."),
    ("block_ms", -1, "Must be between 0 ms and 1,000 ms."),
    ("block_ms", 1_001, "Must be between 0 ms and 1,000 ms."),
    ("block_ms", 2.5, "Must be a whole number. Must be between 0 ms and 1,000 ms."),
]


def json_errors(payload) -> dict[str, list[str]]:
    with pytest.raises(SpecError) as caught:
        spec_from_json(payload)
    return caught.value.errors


def form_errors(data: dict) -> dict[str, list[str]]:
    form = RunSpecForm(data=data)
    assert not form.is_valid()
    return {k: [e["message"] for e in v] for k, v in form.errors.get_json_data().items()}


@pytest.mark.parametrize("field,value,text", BAD_VALUES)
def test_a_bad_value_gets_an_error_naming_the_range(field, value, text):
    assert text in json_errors({"strategy": "gather", field: value})[field]  # the JSON API
    assert text in form_errors({"strategy": "gather", field: str(value)})[field]  # the HTML form


@pytest.mark.parametrize("field", ["rate", "timeout_ms", "retries", "server_limit"])
def test_a_json_string_is_not_a_number(field):
    message = json_errors({"strategy": "gather", field: "10"})[field][0]
    assert message.startswith("Must be a ") and "number. Must be between" in message, message


REQUIRED = {
    "semaphore": "limit",
    "pool": "limit",
    "batches": "batch_size",
    "workers": "workers",
    "rate_limit": "rate",
    "timeout": "timeout_ms",
    "retry": "retries",
    "threads": "workers",
}


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_each_strategy_requires_its_own_parameters(name):
    assert STRATEGIES[name].required == ((REQUIRED[name],) if name in REQUIRED else ())
    if name not in REQUIRED:
        assert spec_from_json({"strategy": name})["strategy"] == name
        assert RunSpecForm(data={"strategy": name}).is_valid()
        return
    field = REQUIRED[name]
    lo, hi = limits_of(field)
    for errors in (json_errors({"strategy": name}), form_errors({"strategy": name, field: ""})):
        assert errors[field][0].startswith(f"Required by the {name} strategy. Must be between {lo:,}"), errors
    # Every other field's error is reported alongside, each at its own field.
    errors = json_errors({"strategy": name, "requests": 0})
    assert set(errors) == {field, "requests"}, errors


def test_the_spec_keeps_the_strategys_parameters_and_the_guards_in_use():
    spec = spec_from_json(
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
    }  # batch_size, workers, return_exceptions: other strategies'


def test_block_kind_is_sleep_or_cpu_and_stated_only_with_block_ms():
    for errors in (
        json_errors({"strategy": "gather", "block_kind": "spin"}),
        form_errors({"strategy": "gather", "block_kind": "spin"}),
    ):
        assert errors["block_kind"] == ["Must be one of: sleep, cpu."], errors
    assert "block_kind" not in spec_from_json({"strategy": "gather", "block_kind": "cpu"})
    assert spec_from_json({"strategy": "gather", "block_ms": 0}) == spec_from_json({"strategy": "gather"})
    spec = spec_from_json({"strategy": "gather", "block_ms": 100})
    assert (spec["block_ms"], spec["block_kind"]) == (100, "sleep")
    assert spec_from_json({"strategy": "gather", "block_ms": 100, "block_kind": "cpu"})["block_kind"] == "cpu"


def test_a_run_that_blocks_its_loop_runs_in_a_process_of_its_own():
    assert spec_from_json({"strategy": "semaphore", "limit": 2, "block_ms": 50})["own_process"] is True
    assert "own_process" not in spec_from_json({"strategy": "semaphore", "limit": 2})
    for name in ("blocking", "to_thread", "threads"):
        assert spec_from_json({"strategy": name, "workers": 3})["own_process"] is True


REFUSED = [
    ("blocking", "limit", 2, "asyncio.Semaphore around api.fetch"),
    ("blocking", "deadline_ms", 500, "cannot fire while a blocking call holds the event loop"),
    ("blocking", "block_ms", 10, "holds the event loop before each api.fetch"),
    ("to_thread", "rate", 5, "asyncio limiter"),
    ("to_thread", "retries", 2, "aiohttp errors"),
    ("threads", "limit", 2, "asyncio.Semaphore around api.fetch"),
    ("threads", "block_ms", 10, "holds the event loop before each api.fetch"),
]


@pytest.mark.parametrize("strategy,field,value,why", REFUSED)
def test_a_guard_a_strategy_cannot_take_is_refused_naming_why(strategy, field, value, why):
    payload = {"strategy": strategy, "workers": 2, field: value}
    for errors in (json_errors(payload), form_errors({k: str(v) for k, v in payload.items()})):
        assert set(errors) == {field}, errors
        (message,) = errors[field]
        assert message.startswith(f"Not with the {strategy} strategy: ") and why in message, message
        assert message.endswith("Leave it empty."), message
    off = {"limit": None, "deadline_ms": None, "block_ms": 0, "rate": None, "retries": 0}[field]
    assert field not in spec_from_json({**payload, field: off}), "a guard left off is no refusal"


@pytest.mark.parametrize("strategy", ["blocking", "to_thread", "threads"])
def test_the_blocking_clients_strategies_take_a_timeout(strategy):
    spec = spec_from_json({"strategy": strategy, "workers": 2, "timeout_ms": 300})
    assert spec["timeout_ms"] == 300
    guards = STRATEGIES[strategy].describe()["guards"]
    assert "timeout_ms" in guards and not {"limit", "rate", "retries", "block_ms", "block_kind"} & set(guards)
    assert ("deadline_ms" in guards) == (strategy != "blocking")


def test_the_spec_leaves_out_what_is_off():
    spec = spec_from_json({"strategy": "gather", "retries": 0, "hang_rate": 0, "server_rate": None})
    assert "retries" not in spec and "hang_rate" not in spec and "server_rate" not in spec
    assert spec["return_exceptions"] is False  # gather's own parameter is always stated
    assert spec_from_json({"strategy": "retry", "retries": 0})["retries"] == 0  # the retry strategy's own


def test_the_spec_keeps_the_demo_apis_misbehaviour():
    spec = spec_from_json(
        {"strategy": "retry", "retries": 3, "hang_rate": 0.1, "reset_rate": 0.05, "server_rate": 10, "server_limit": 4}
    )
    assert {k: spec[k] for k in ("hang_rate", "reset_rate", "server_rate", "server_limit")} == {
        "hang_rate": 0.1,
        "reset_rate": 0.05,
        "server_rate": 10,
        "server_limit": 4,
    }


def test_latencies_set_the_requests_and_a_whole_float_is_an_integer():
    spec = spec_from_json({"strategy": "gather", "requests": 99, "latencies_ms": [300, 500.0, 0.5], "limit": 2.0})
    assert spec["requests"] == 3 and spec["latencies_ms"] == [300, 500, 0.5]
    assert type(spec["latencies_ms"][1]) is int and spec["limit"] == 2 and type(spec["limit"]) is int
    assert spec_from_json({"strategy": "gather", "latencies_ms": []}).get("latencies_ms") is None  # empty: absent


def test_null_means_absent_for_every_optional_field():
    nulls = {name: None for name in FIELDS if name != "strategy"}
    assert spec_from_json({"strategy": "gather", **nulls}) == spec_from_json({"strategy": "gather"})
    assert "strategy" in json_errors({"strategy": None})


@pytest.mark.parametrize("name", [n for n in FIELDS if kind_of(n) in ("whole", "number")])
def test_every_number_fields_help_states_its_range(name):
    lo, hi = limits_of(name)
    shown = f"({lo:,} to {hi:,})"
    assert shown in field_table()[name]["help"]
    assert shown in str(RunSpecForm().fields[name].help_text)
    assert FIELDS[name].description and shown not in FIELDS[name].description  # stated once, added by the table


def test_every_field_has_a_label_and_help_text():
    for name, info in field_table().items():
        assert info["label"] and info["label"] == FIELDS[name].title, name
        assert len(info["help"]) > 10, name


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
        assert spec_from_json(preset["spec"])["strategy"] == preset["spec"]["strategy"]
        assert preset["text"].endswith(".") and preset["label"]


# --- The HTML form: text in, the same spec out ----------------------------------------


def form_spec(data: dict) -> dict:
    form = RunSpecForm(data=data)
    assert form.is_valid(), form.errors
    return form.spec()


def test_form_text_gives_the_same_spec_as_the_json():
    typed = {
        "strategy": "semaphore",
        "requests": " 10 ",
        "latency_ms": "",  # empty: absent, the default
        "latencies_ms": "300, 500 200;100ms",
        "limit": "2",
        "rate": "2.5",
        "failure_rate": "0.1",
        "return_exceptions": "on",
        "target": "",
        "guess_ms": "700",
    }
    as_json = {
        "strategy": "semaphore",
        "requests": 10,
        "latencies_ms": [300, 500, 200, 100],
        "limit": 2,
        "rate": 2.5,
        "failure_rate": 0.1,
        "return_exceptions": True,
        "guess_ms": 700,
    }
    assert form_spec(typed) == spec_from_json(as_json)
    assert form_spec(typed)["requests"] == 4


def test_a_checkbox_is_on_or_absent():
    assert form_spec({"strategy": "gather", "return_exceptions": "on"})["return_exceptions"] is True
    assert form_spec({"strategy": "gather"})["return_exceptions"] is False


@pytest.mark.parametrize(
    "field,text,message",
    [
        ("requests", "ten", "Enter a number. Must be between 1 and 10,000."),
        ("failure_rate", "nan", "Enter a number. Must be between 0 and 1."),
        ("latency_ms", "9" * 400, "Enter a number. Must be between 0 ms and 30,000 ms."),
        ("latencies_ms", "300, five", "'five' is not a number of ms"),
        ("latencies_ms", "300, 40000", "Each latency must be a number of ms between 0 and 30,000 ms."),
        ("strategy", "warp", "Unknown strategy; choose one of: sequential, gather"),
        ("strategy", "", "Choose a strategy: sequential, gather"),
        ("target", "http://10.0.0.1/", "Unknown target; allowed targets: demo."),
    ],
)
def test_form_text_that_is_not_a_value_gets_an_error_at_its_field(field, text, message):
    data = {"strategy": "gather", field: text}
    errors = form_errors(data)[field]
    assert any(message in m for m in errors), errors


def test_the_form_renders_each_fields_range_and_label_from_the_model():
    form = RunSpecForm()
    assert list(form.fields) == list(FIELDS)
    html = form.as_div()
    for name, field in FIELDS.items():
        assert form.fields[name].label == field.title
        lo, hi = limits_of(name)
        if lo is not None:
            assert f'name="{name}"' in html
            assert f'min="{lo}" max="{hi}"' in str(form[name]), str(form[name])
        if kind_of(name) == "number":
            assert 'step="any"' in str(form[name])
    assert 'type="checkbox" name="return_exceptions"' in html
    assert '<option value="gather" selected>asyncio.gather</option>' in str(form["strategy"])


def test_a_runs_spec_fills_the_form_back():
    spec = spec_from_json({"strategy": "semaphore", "latencies_ms": [300, 500, 200], "limit": 2})
    form = RunSpecForm(initial=spec)
    assert 'value="300, 500, 200"' in str(form["latencies_ms"])
    assert 'value="2"' in str(form["limit"])
    assert '<option value="semaphore" selected>' in str(form["strategy"])


def test_the_model_is_strict_for_json():
    assert RunSpec.model_config["strict"] is True and RunSpec.model_config["extra"] == "forbid"
