#!/usr/bin/env bash
# The local product (the "local" mode of portal/settings.py): migrate, load the demo data,
# collect the static files, then run gunicorn (production WSGI server, whitenoise for /static/)
# and a qcluster together on 127.0.0.1:${PORT:-8000}. Ctrl-C or SIGTERM stops both.
# Uses the `python` on PATH (scripts/run.sh puts .venv first); PORTAL_DATA_DIR (default var/)
# holds the database, the generated secret key, the file cache, uploads and backups.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PORTAL_MODE=${PORTAL_MODE:-local}
PORT=${PORT:-8000}
mkdir -p "${PORTAL_DATA_DIR:-var}"
python manage.py compilemessages --ignore=.venv -v0 2>/dev/null || true  # .mo files are committed too
python manage.py migrate --no-input -v0
python manage.py load_demo
python manage.py collectstatic --no-input -v0
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
python manage.py run_qcluster & pids+=($!)
python -m gunicorn portal.wsgi --bind "127.0.0.1:$PORT" --workers "${WEB_WORKERS:-2}" --timeout 120 \
  --access-logfile - --log-level warning & pids+=($!)
echo "Portal: http://127.0.0.1:$PORT/  (API docs: /api/docs/, admin: /admin/). Ctrl-C stops."
wait -n "${pids[@]}"
