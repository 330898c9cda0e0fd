"""`make run` serves the portal as a product: scripts/serve.sh (what `make run` runs after
installing) starts gunicorn and a qcluster on a fresh data folder, in the local mode."""

import os
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.qcluster import processes_with_env

# These processes run on a SQLite file whatever DATABASE_URL says: once, in CI's SQLite pass.
pytestmark = pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="SQLite pass only")


ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback)
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode()


@pytest.mark.qcluster
def test_make_run_serves_the_portal_with_gunicorn_and_its_own_error_pages(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY",
                                                            "PORTAL_MODE", "SQLITE_PATH"}}
    env.update(PORTAL_DATA_DIR=str(tmp_path / "var"), STATIC_ROOT=str(tmp_path / "static"), PORT=str(port),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}", Q_WORKERS="1")
    log = (tmp_path / "serve.log").open("w+")
    server = subprocess.Popen(["./scripts/serve.sh"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        status = None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                status, headers, html = get(f"http://127.0.0.1:{port}/nonexistent/")
                break
            except OSError:
                time.sleep(0.5)
        log.seek(0)
        output = log.read()
        assert status == 404, output
        # The portal's own page in its layout, not Django's technical page with the URL list.
        assert 'class="card narrow error-page"' in html and "URLconf" not in html
        assert headers["Server"].startswith("gunicorn")
        # whitenoise serves the collected (hashed) static files.
        assert get(f"http://127.0.0.1:{port}/static/portal/portal.js")[0] == 200
        # The login page: a plain-HTTP local product, so the CSRF cookie is not marked Secure.
        status, headers, html = get(f"http://127.0.0.1:{port}/login/")
        assert status == 200 and "Secure" not in headers.get("Set-Cookie", "")
        # The demo logins are printed; the qcluster is running next to the web server.
        assert "Demo logins" in output and "integration" in output
        cluster = subprocess.run(["pgrep", "-f", "-s", str(server.pid), "manage.py run_qcluster"], capture_output=True)
        assert cluster.returncode == 0, output
        # The secret key was generated once into the data folder, readable by the owner only.
        key = tmp_path / "var" / "secret_key"
        assert len(key.read_text().strip()) >= 50 and stat.S_IMODE(key.stat().st_mode) == 0o600
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) is not None
        time.sleep(0.5)
        assert processes_with_env("PORTAL_DATA_DIR", str(tmp_path / "var")) == []  # gunicorn and qcluster stopped
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
        else:
            try:
                os.killpg(server.pid, signal.SIGKILL)  # nothing of it may outlive the script
            except ProcessLookupError:
                pass
