"""Join codes: 8 characters from 32 that cannot be mistaken for one another (no 0, 1, I, O),
40 random bits (`secrets`), shown in two halves: ABCD-EFGH.

    code_new()            -> "K7QMZ3RT"           stored, and compared, in this form
    code_normal(" k7qm-z3rt ") -> "K7QMZ3RT"       what a learner types or a URL holds; CodeInvalid if not a code
    code_shown("K7QMZ3RT")     -> "K7QM-Z3RT"      on the page, in URLs, read aloud
"""

import re
import secrets

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # 32 symbols: 5 bits each
CODE_LENGTH = 8  # 40 bits: guessing one live class among a few takes ~10^11 tries; joins allow 60 a minute
HALF = CODE_LENGTH // 2
_SYMBOL = "[2-9A-HJ-NP-Za-hj-np-z]"  # ALPHABET, either case
# The code as a path parameter (the OpenAPI document's pattern): either case, the dash optional.
PATTERN = f"^{_SYMBOL}{{{HALF}}}-?{_SYMBOL}{{{HALF}}}$"
CODE_RULE = f"a class code is {CODE_LENGTH} letters and digits like ABCD-EFGH (no 0, 1, I or O; the dash optional)"


class CodeInvalid(ValueError):
    pass


def code_new() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def code_normal(text: str) -> str:
    """The stored form of a typed or linked code; CodeInvalid naming the rule if it is none."""
    code = text.strip().upper()
    if not re.fullmatch(PATTERN, code):
        raise CodeInvalid(f"{CODE_RULE}; got {text[:20]!r}")
    return code.replace("-", "")


def code_shown(code: str) -> str:
    return f"{code[:HALF]}-{code[HALF:]}"
