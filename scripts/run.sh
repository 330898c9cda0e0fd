#!/usr/bin/env bash
# `make run`: install, then serve the portal as a product (scripts/serve.sh): gunicorn and a
# django-q2 qcluster on 127.0.0.1:8000, SQLite + ORM broker, DEBUG off. Ctrl-C stops both.
source "$(dirname "$0")/env.sh"
pip install --quiet -e .
python scripts/vendor_static.py  # front-end libraries from the npm registry into static/vendor/
exec ./scripts/serve.sh
