#!/usr/bin/env bash
# Install the project with its dev dependencies and run the whole suite. Extra arguments go to pytest.
# The browser tests need Debian's chromium at /usr/bin/chromium (`.ci/run` installs it).
source "$(dirname "$0")/env.sh"
pip install --quiet -e ".[dev]"
python scripts/vendor_static.py  # front-end libraries from the npm registry into static/vendor/
exec python -m pytest "$@"
