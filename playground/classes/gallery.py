"""The class's runs as cards on the teacher's dashboard, and the pause of learners' runs. (Being built.)

gallery_hello(classroom, role) -> dict   merged into the class socket's hello: {"paused": ..., ...}
"""

from playground.classes.models import Classroom


async def gallery_hello(*, classroom: Classroom, role) -> dict:
    return {}
