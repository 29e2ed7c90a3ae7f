#!/usr/bin/env bash
# Starts the whole assistant on embedded defaults: carrier simulator, action
# server, Rasa server and the chat page, all on loopback (`make run-prod` and
# docs/deploy.md for production). Ctrl-C stops every process it started.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p var

export RASA_PORT="${RASA_PORT:-5005}" ACTION_PORT="${ACTION_PORT:-5055}" WEB_PORT="${WEB_PORT:-8080}"
export CARRIER_SIM_PORT="${CARRIER_SIM_PORT:-8091}"
export CARRIER_API_URL="${CARRIER_API_URL:-http://127.0.0.1:${CARRIER_SIM_PORT}}"
export CARRIER_API_KEY="${CARRIER_API_KEY:-dev-key}"
export SMTP_HOST="${SMTP_HOST:-127.0.0.1}" SMTP_PORT="${SMTP_PORT:-1025}"
export SHOP_URL="${SHOP_URL:-http://localhost:${WEB_PORT}}"
if [ -z "${RASA_AUTH_TOKEN:-}" ]; then
  [ -f var/rasa-auth-token ] || .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(24))' > var/rasa-auth-token
  RASA_AUTH_TOKEN=$(cat var/rasa-auth-token)
fi
if [ -z "${PROACTIVE_TOKEN:-}" ]; then
  [ -f var/proactive-token ] || .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(24))' > var/proactive-token
  PROACTIVE_TOKEN=$(cat var/proactive-token)
fi
export PROACTIVE_TOKEN
# PYTHONPATH: Rasa reads privacy/logging.yml (personal data masked in the logs) before it
# puts the project's folder on the import path (docs/privacy.md).
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
export RASA_AUTH_TOKEN SQLALCHEMY_SILENCE_UBER_WARNING=1 TF_CPP_MIN_LOG_LEVEL=2 PYTHONWARNINGS="ignore::DeprecationWarning"

pids=()
stop_all() {
  trap - INT TERM EXIT
  echo; echo "==> Stopping Colibri"
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop_all INT TERM EXIT

wait_for() {  # wait_for NAME URL SECONDS
  for _ in $(seq "$3"); do
    curl -fs -o /dev/null "$2" && return 0
    sleep 1
  done
  echo "!! $1 did not start within $3 s (see its log above)" >&2; exit 1
}

if [ "$CARRIER_API_URL" = "http://127.0.0.1:${CARRIER_SIM_PORT}" ]; then
  echo "==> Carrier simulator (La Poste Suivi v2) on :$CARRIER_SIM_PORT"
  .venv/bin/python -m simulators.laposte --host 127.0.0.1 --port "$CARRIER_SIM_PORT" --key "$CARRIER_API_KEY" &
  pids+=($!)
fi

if [ "$SMTP_HOST:$SMTP_PORT" = "127.0.0.1:1025" ]; then
  echo "==> Development mail sink on :1025 (e-mails are printed and kept in var/mail/)"
  .venv/bin/python -m simulators.mail_sink --host 127.0.0.1 --port 1025 --spool var/mail &
  pids+=($!)
fi

echo "==> Action server on :$ACTION_PORT"
SANIC_HOST=127.0.0.1 .venv/bin/rasa run actions --actions actions --port "$ACTION_PORT" \
  --logging-config-file privacy/logging.yml &
pids+=($!)
wait_for "action server" "http://127.0.0.1:$ACTION_PORT/health" 60

echo "==> Rasa server on :$RASA_PORT (loading the model)"
# production.rasa_server hands RASA_AUTH_TOKEN to Rasa inside the process: not on the command line.
.venv/bin/python -m production.rasa_server run --model models --enable-api \
  --interface 127.0.0.1 --port "$RASA_PORT" --endpoints endpoints.yml --credentials credentials.yml \
  --cors "http://localhost:$WEB_PORT" "http://127.0.0.1:$WEB_PORT" --logging-config-file privacy/logging.yml &
pids+=($!)
wait_for "Rasa server" "http://127.0.0.1:$RASA_PORT/" 180  # Rasa loads the model before it listens

echo "==> Chat page and advisors' desk on :$WEB_PORT"
RASA_URL="http://127.0.0.1:$RASA_PORT" .venv/bin/python web/server.py --host 127.0.0.1 --port "$WEB_PORT" &
pids+=($!)
wait_for "chat page" "http://127.0.0.1:$WEB_PORT/" 20

cat <<INFO

  Colibri is running.
    Chat page        http://localhost:$WEB_PORT/
    Advisors' desk   http://localhost:$WEB_PORT/desk/  (demo: julie or karim, password colibri-demo)
    KPI dashboard    http://localhost:$WEB_PORT/desk/kpi/  (same logins)
    Shop notices     POST http://localhost:$WEB_PORT/api/proactive/order-delivered (token in var/proactive-token)
    Rasa REST        http://localhost:$RASA_PORT/webhooks/rest/webhook
    Rasa HTTP API    http://localhost:$RASA_PORT/  (token in var/rasa-auth-token)
    Action server    http://localhost:$ACTION_PORT/health
    E-mails sent     var/mail/ (and printed here), when SMTP_HOST is not set
  Press Ctrl-C to stop.

INFO
wait -n "${pids[@]}"
