#!/usr/bin/env bash
# Install, migrate, load demo data, then run the web server and a django-q2 qcluster together
# on 127.0.0.1:8000 (SQLite + ORM broker). Ctrl-C stops both.
source "$(dirname "$0")/env.sh"
pip install --quiet -e .
python scripts/vendor_static.py  # front-end libraries from the npm registry into static/vendor/
mkdir -p "${PORTAL_DATA_DIR:-var}"
python manage.py compilemessages --ignore=.venv -v0 2>/dev/null || true  # .mo files are committed too
python manage.py migrate --no-input -v0
python manage.py load_demo
python manage.py check

pids=()
stop() {
  trap - INT TERM EXIT
  echo; echo "Stopping web server and qcluster..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "Stopped."
}
trap stop INT TERM EXIT
python manage.py qcluster & pids+=($!)
python manage.py runserver 127.0.0.1:${PORT:-8000} --noreload & pids+=($!)
echo "Portal: http://127.0.0.1:${PORT:-8000}/  (API docs: /api/docs/, admin: /admin/). Ctrl-C stops."
wait -n "${pids[@]}"
