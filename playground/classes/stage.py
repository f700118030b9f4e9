"""The stage: the run (or two runs compared) every screen in the class follows. (Being built.)

stage_hello(classroom, role) -> dict   merged into the class socket's hello: {"stage": ...}
"""

from playground.classes.models import Classroom


async def stage_hello(*, classroom: Classroom, role) -> dict:
    return {}
