#!/usr/bin/env bash
# `make dev`: developer mode (DEBUG=1: Django's debug pages, runserver with auto-reload, a fixed
# secret key) and a qcluster on 127.0.0.1:${PORT:-8000}. Never expose it: it is not the product.
source "$(dirname "$0")/env.sh"
pip install --quiet -e ".[dev]"
export PORTAL_MODE=developer
python manage.py migrate --no-input -v0
python manage.py load_demo
pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT
python manage.py run_qcluster & pids+=($!)
python manage.py runserver "127.0.0.1:${PORT:-8000}" & pids+=($!)
wait -n "${pids[@]}"
