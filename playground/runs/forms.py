"""RunSpecForm: the HTML face of RunSpec, for the page at `/` (which also works without JavaScript).

    RunSpec fields ──_form_field()──> widgets: label, help (its range stated), min/max, initial
    POST text ──values_from_text()──> JSON-like values ──RunSpec (strict)──> spec() or errors at fields

Django renders the fields and their errors; it validates nothing itself (every field is
optional text to Django). Form text is read as the JSON API would get it: "10" is 10,
an empty field is absent, latencies may be typed as "300, 500, 200", a checkbox is on or
absent. Then the one schema decides, with the same messages as the API.
"""

import math
import re

from django import forms

from playground.runs.spec import MAX_NUMBER_DIGITS, SpecError, choices_of, field_table, range_text, spec_from_json
from playground.strategies import STRATEGIES

INITIAL_STRATEGY = "gather"  # the form's first choice: the lesson's first fix


class NumberListField(forms.CharField):
    """Numbers typed as text, "300, 500, 200"; a run's list is shown the same way."""

    def prepare_value(self, value):
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        return value


def _form_field(name: str, info: dict) -> forms.Field:
    common = {"required": False, "label": info["label"], "help_text": info["help"], "initial": info["default"]}
    kind = info["kind"]
    if kind in ("whole", "number"):
        attrs = {"min": info["min"], "max": info["max"]} | ({"step": "any"} if kind == "number" else {})
        return forms.CharField(widget=forms.NumberInput(attrs=attrs), **common)
    if kind == "bool":
        return forms.BooleanField(**common)
    if kind == "list":
        return NumberListField(**common)
    if name == "strategy":
        common["initial"] = INITIAL_STRATEGY
        choices = [(s.name, s.label) for s in STRATEGIES.values()]
    else:
        choices = [(c, c) for c in choices_of(name)]
    return forms.CharField(widget=forms.Select(choices=choices), **common)


def _number(text: str) -> int | float:
    """A number as typed: "10" -> 10, "0.5" -> 0.5; ValueError for anything else."""
    if len(text.lstrip("+-")) > MAX_NUMBER_DIGITS:
        raise ValueError(text)
    try:
        return int(text)
    except ValueError:
        number = float(text)
    if not math.isfinite(number):
        raise ValueError(text)
    return number


def values_from_text(name: str, kind: str, value):
    """One field's form text as its JSON value (None: absent); ValueError with a message naming the field's range."""
    if kind == "bool":
        return value or None
    text = (value or "").strip()
    if not text:
        return None
    if kind == "list":
        out = []
        for item in (p for p in re.split(r"[\s,;]+", text) if p):
            try:
                out.append(_number(re.sub(r"ms$", "", item, flags=re.IGNORECASE)))
            except ValueError:
                raise ValueError(f"{item[:20]!r} is not a number of ms: write them as 300, 500, 200.") from None
        return out
    if kind in ("whole", "number"):
        try:
            return _number(text)
        except ValueError:
            raise ValueError(f"Enter a number. {range_text(name)}") from None
    return text


class RunSpecForm(forms.Form):
    """Every RunSpec field, in its order; `spec()` is the stored spec once `is_valid()`."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.table = field_table()
        for name, info in self.table.items():
            self.fields[name] = _form_field(name, info)
        self._spec = None

    def clean(self):
        super().clean()
        data = self.cleaned_data
        values = {}
        for name, raw in list(data.items()):
            try:
                values[name] = values_from_text(name, self.table[name]["kind"], raw)
            except ValueError as exc:
                self.add_error(name, str(exc))
        try:
            self._spec = spec_from_json({k: v for k, v in values.items() if v is not None})
        except SpecError as exc:
            for name, messages in exc.errors.items():
                if name not in self.errors:  # one complaint a field: what it was typed as, else the schema's
                    for message in messages:
                        self.add_error(name if name in self.fields else None, message)
        return data

    def spec(self) -> dict:
        """The validated run spec: defaults filled in, unused fields left out."""
        assert self._spec is not None, "call is_valid() first"
        return self._spec
