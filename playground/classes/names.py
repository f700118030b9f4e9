"""Nicknames: what a learner may be called in a class, and a safe one to suggest.

    name_clean("  Quiet   Otter ") -> "Quiet Otter"   NameInvalid naming the rule otherwise
    name_clean("Ａｄａ")             -> "Ada"           NFKC: look-alike forms are the plain letters
    name_suggested()               -> "Brave Heron"   an adjective and an animal, at random

A name is first NFKC-normalised (full-width "Ａｄａ", a ligature "ﬁ", a no-break space become
"Ada", "fi", " "), so names that look the same are the same name. It is 1 to 24 characters
once trimmed (runs of spaces count as one), made of letters (any script), digits, spaces,
"-", "_" and ".": nothing that can pass for markup, a link or a mention. Uniqueness in a
class (ignoring case) is the database's to keep (models.py).
"""

import re
import secrets
import unicodedata

MAX_NAME = 24  # fits a roster column and a card on a projector
NAME_RULE = f"1 to {MAX_NAME} characters: letters, digits, spaces, - _ ."
_ALLOWED = re.compile(r"[\w .-]")  # \w on str: letters and digits of any script, and "_"

ADJECTIVES = (
    "Quiet Brave Calm Clever Swift Gentle Bright Bold Lucky Merry Nimble Patient Curious Eager Happy Jolly "
    "Kind Lively Mellow Noble Plucky Sunny Witty Zesty Steady Cosmic Rapid Sleepy Sparkly Tidy"
).split()
ANIMALS = (
    "Otter Heron Panda Falcon Badger Lynx Koala Gecko Puffin Beaver Dolphin Fox Hedgehog Ibis Jaguar Lemur "
    "Marmot Narwhal Ocelot Penguin Quokka Raven Seal Tapir Walrus Yak Zebra Owl Bison Crane"
).split()


class NameInvalid(ValueError):
    pass


def name_clean(raw: str) -> str:
    """The name as shown: NFKC, trimmed, inner spaces collapsed; NameInvalid naming the rule broken."""
    name = re.sub(" +", " ", unicodedata.normalize("NFKC", raw).strip(" "))
    bad = sorted({ch for ch in name if not _ALLOWED.fullmatch(ch)})
    if bad:
        shown = " ".join(repr(ch) for ch in bad[:5])
        raise NameInvalid(f"Only letters, digits, spaces and - _ . are allowed; not {shown}.")
    if not 1 <= len(name) <= MAX_NAME:
        raise NameInvalid(f"Must be 1 to {MAX_NAME} characters once trimmed; got {len(name)}.")
    return name


def name_suggested() -> str:
    return f"{secrets.choice(ADJECTIVES)} {secrets.choice(ANIMALS)}"
