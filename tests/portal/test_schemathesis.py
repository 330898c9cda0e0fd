"""schemathesis over every API operation against a live server, with a fixed seed and a fixed time
budget: no server error, no response outside the schema (status code, content type, body), no
schema-violating input accepted.

The demo data is loaded first so that detail operations find real rows. The run's figures
(operations, generated cases, time) are printed; `SCHEMATHESIS_SECONDS` changes the budget
(default 110 s; with the demo data load the test takes about 3 minutes), `SCHEMATHESIS_EXAMPLES` the examples per operation and phase (default 5).
Positive input refused by a business rule (an unknown store code the schema cannot know) is not a
failure: the checks are those that find what the issue asked for.
"""

import io
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command

CHECKS = ["not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_schema_conformance", "negative_data_rejection"]
SECONDS = int(os.environ.get("SCHEMATHESIS_SECONDS", "110"))
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "5"))


@pytest.mark.schemathesis
@pytest.mark.django_db(transaction=True)
def test_the_api_holds_to_its_schema(live_server, settings, tmp_path):
    settings.DEBUG = False
    call_command("load_demo", stdout=io.StringIO())
    out = io.StringIO()
    call_command("create_api_token", "admin", stdout=out)
    token = out.getvalue().strip().splitlines()[-1]
    command = [
        str(Path(sys.executable).parent / "schemathesis"), "run", f"{live_server.url}/api/schema/",
        "-H", f"Authorization: Token {token}", "--checks", ",".join(CHECKS),
        "--phases", "examples,coverage,fuzzing", "--seed", "20261128", "-n", str(EXAMPLES), "--workers", "1",
        "--no-shrink", "--max-time", str(SECONDS), "--continue-on-failure", "--request-timeout", "30",
        "--report", "junit", "--report-dir", str(tmp_path),
    ]
    started = time.monotonic()
    run = subprocess.run(command, capture_output=True, text=True, timeout=SECONDS + 120,
                         env={**os.environ, "NO_COLOR": "1", "SCHEMATHESIS_TELEMETRY": "false"})
    elapsed = time.monotonic() - started
    output = run.stdout + run.stderr
    tested = re.search(r"Tested:\s*(\d+)", output)
    selected = re.search(r"Selected:\s*(\d+)/(\d+)", output)
    cases = re.search(r"(\d+) generated", output)
    print(f"\nschemathesis: {tested and tested.group(1)} of {selected and selected.group(2)} operations, "
          f"{cases and cases.group(1)} cases, {elapsed:.0f} s")
    assert run.returncode == 0, output[-20000:]
    assert tested and selected and tested.group(1) == selected.group(2), output[-5000:]
