"""A class: a teacher's join code, the learners who joined with a nickname, and their live roster.

models.py     Classroom (code, teacher, expiry, show_names) and Learner (nickname, browser)
codes.py      join codes: made, normalised, shown (pure)
names.py      nicknames: checked, suggested (pure)
limits.py     join attempts counted in Django's cache (429)
services.py   the only writers: create, join, remove, settings; roster messages to the sockets
api.py        /api/classes... on the playground's django-ninja API
consumers.py  /ws/classes/<code>/: the roster to the teacher, a count (or names) to learners
views.py      /class/ (create) and /class/<code>/ (teacher, join form, or the playground with a banner)
gallery.py    learners' runs as cards, a teacher socket's database loop, the pause of learners' runs
gallery_api.py  GET /api/classes/<code>/gallery
"""
