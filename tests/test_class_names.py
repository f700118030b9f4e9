"""Class codes and nicknames (pure), and pruning ended classes (on the test database)."""

import io
import re
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils.timezone import now as django_now

from playground.classes.codes import ALPHABET, CODE_LENGTH, PATTERN, CodeInvalid, code_new, code_normal, code_shown
from playground.classes.models import Classroom, Learner
from playground.classes.names import MAX_NAME, NameInvalid, name_clean, name_suggested
from playground.classes.pruning import CLASSES_AT_ONCE

# --- Codes and names (pure) -------------------------------------------------------------------


def test_codes_are_40_random_bits_from_an_unambiguous_alphabet():
    assert len(ALPHABET) == len(set(ALPHABET)) == 32 and CODE_LENGTH == 8  # 5 bits x 8
    assert not set("01IO") & set(ALPHABET)
    codes = {code_new() for _ in range(2000)}
    assert len(codes) == 2000  # 2,000 draws from 2^40 repeat with odds of about 2 in a million
    assert all(re.fullmatch(PATTERN, code_shown(c)) for c in codes)
    assert set("".join(codes)) == set(ALPHABET)  # every symbol is drawn


@pytest.mark.parametrize("typed", ["K7QMZ3RT", "k7qm-z3rt", " K7QM-Z3RT\n", "k7QMz3rt"])
def test_a_code_typed_any_way_is_the_same_code(typed):
    assert code_normal(typed) == "K7QMZ3RT" and code_shown("K7QMZ3RT") == "K7QM-Z3RT"


@pytest.mark.parametrize(
    "typed", ["", "K7QM", "K7QMZ3RT9", "K0QMZ3RT", "KIQM-Z3RT", "K7QM--Z3RT", "K7QM/Z3RT", "é7QMZ3RT"]
)
def test_what_is_not_a_code_is_refused_naming_the_rule(typed):
    with pytest.raises(CodeInvalid, match="8 letters and digits like ABCD-EFGH"):
        code_normal(typed)


@pytest.mark.parametrize(
    "raw,clean",
    [
        ("Quiet Otter", "Quiet Otter"),
        ("  Zoë   the  3rd ", "Zoë the 3rd"),
        ("李小龙", "李小龙"),
        ("a_b-c.d", "a_b-c.d"),
        ("x" * MAX_NAME, "x" * MAX_NAME),
        ("Ωmega 9", "Ωmega 9"),
        ("Ａｄａ", "Ada"),  # full-width letters: NFKC
        ("Ada\u00a0\u3000Lovelace", "Ada Lovelace"),  # a no-break and an ideographic space
        ("\ufb01sh", "fish"),  # the ligature "fi"
        ("Zoe\u0308", "Zoë"),  # e + combining diaeresis: one letter
    ],
)
def test_names_of_letters_digits_spaces_and_dashes_are_kept_trimmed(raw, clean):
    assert name_clean(raw) == clean


@pytest.mark.parametrize(
    "raw,text",
    [
        ("", "1 to 24 characters"),
        ("    ", "1 to 24 characters"),
        ("x" * (MAX_NAME + 1), "got 25"),
        ("<b>hi</b>", "not '/' '<' '>'"),
        ("a\tb", "not '\\t'"),
        ("@everyone", "not '@'"),
        ("ok 🙂", "not '🙂'"),
        ("https://x.y", "not '/' ':'"),
    ],
)
def test_other_names_are_refused_naming_the_rule(raw, text):
    with pytest.raises(NameInvalid) as caught:
        name_clean(raw)
    assert text in str(caught.value), caught.value


def test_suggested_names_pass_the_rule():
    for _ in range(200):
        name = name_suggested()
        assert name_clean(name) == name and " " in name


# --- Pruning ended classes (on the test database) -------------------------------------------------


def ended_class(*, days_ago: float, learners: int = 0) -> Classroom:
    """A class that ended `days_ago` days ago (a negative age: one still running), with learners."""
    classroom = Classroom.objects.create(
        code=code_new(), teacher="t", expires_at=django_now() - timedelta(days=days_ago)
    )
    Learner.objects.bulk_create(
        Learner(classroom=classroom, visitor=f"v{n}", name=f"L {n}", name_key=f"l {n}") for n in range(learners)
    )
    return classroom


def prune_classes(*args: str) -> str:
    out = io.StringIO()
    call_command("prune_classes", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_prune_classes_deletes_classes_ended_long_ago_with_their_learners(settings):
    settings.CLASS_KEEP_DAYS = 7
    gone = [ended_class(days_ago=8, learners=3), ended_class(days_ago=400)]
    kept = [ended_class(days_ago=6, learners=2), ended_class(days_ago=-0.1, learners=1)]
    said = "2 classes and 3 learners that ended more than 7 days ago.\n"
    assert prune_classes("--dry-run") == "Would delete " + said
    assert Classroom.objects.count() == 4
    assert prune_classes() == "Deleted " + said
    assert set(Classroom.objects.values_list("id", flat=True)) == {c.id for c in kept}
    assert Learner.objects.count() == 3 and not Learner.objects.filter(classroom_id__in=[c.id for c in gone])
    assert prune_classes("--older-than", "1") == "Deleted 1 class and 2 learners that ended more than 1 day ago.\n"
    assert list(Classroom.objects.values_list("id", flat=True)) == [kept[1].id]  # still running: never pruned
    with pytest.raises(CommandError, match="--older-than must be a whole number of days from 1"):
        prune_classes("--older-than", "0")


@pytest.mark.django_db
def test_prune_classes_goes_through_more_than_one_batch():
    for _ in range(CLASSES_AT_ONCE + 1):
        ended_class(days_ago=30, learners=1)
    assert prune_classes("--older-than", "7") == (
        f"Deleted {CLASSES_AT_ONCE + 1} classes and {CLASSES_AT_ONCE + 1} learners that ended more than 7 days ago.\n"
    )
    assert not Classroom.objects.exists() and not Learner.objects.exists()
