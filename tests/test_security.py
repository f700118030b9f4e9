"""Production settings pass Django's deploy check; pages carry a strict CSP."""

import os
import subprocess
import sys

import aiohttp

from tests.support.servers import ROOT

PRODUCTION_ENV = {
    "PLAYGROUND_DEBUG": "0",
    "PLAYGROUND_SECRET_KEY": "x7Gk2pQ9vLm4Zt8Rw1Yc6Nb3Hs5Jd0Fa-Ue_Ko7Pi2Qr9Ts4Vw6Xy8Zb1Cd3Ef5Gh",
    "PLAYGROUND_ALLOWED_HOSTS": "playground.school.example",
}


def test_check_deploy_is_clean_under_the_documented_production_settings():
    env = {**os.environ, **PRODUCTION_ENV, "PLAYGROUND_STARTUP": "0"}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set for the test process only
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {**os.environ, **PRODUCTION_ENV, "PLAYGROUND_SECRET_KEY": ""}
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode != 0
    assert "PLAYGROUND_SECRET_KEY must be set" in result.stderr


async def test_pages_allow_nothing_from_outside(server):
    async with aiohttp.ClientSession() as http:
        async with http.get(server.base + "/") as r:
            policy = r.headers["Content-Security-Policy"]
            page = await r.text()
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    # Every asset the page names is served by the playground itself.
    for marker in ("cdn.", "googleapis", "unpkg", "jsdelivr"):
        assert marker not in page
