#!/usr/bin/env bash
# Sets up and runs the whole appliance on this host: web app (with the live video SFU, mediasoup,
# inside it) and analysis worker, on SQLite, with a demo exam. Prints the URL and an admin login.
# mediasoup's worker binary is downloaded or built once (MEDIASOUP_WORKER_SOURCE=auto|download|build)
# and cached in /var/cache/proctor-appliance/mediasoup (scripts/mediasoup_worker.sh).
# Run as root on Debian 12. Stop with Ctrl-C. (Production hosts use ansible/ instead.)
source "$(dirname "$0")/lib.sh"

ensure_apt ffmpeg curl ca-certificates fonts-dejavu-core
ensure_npm
install_node_modules
ensure_mediasoup_worker
build_assets

if [ ! -f .env ]; then
  log "Writing .env with a new APP_KEY"
  key=$("$NODE" -e 'console.log(require("crypto").randomBytes(32).toString("base64url"))')
  host=$(hostname -I 2>/dev/null | awk '{print $1}')
  sed -e "s|^APP_KEY=.*|APP_KEY=$key|" -e "s|^APP_URL=.*|APP_URL=http://${host:-localhost}:3333|" .env.example > .env
fi
set -a; source .env; set +a
mkdir -p "${DATA_DIR:-storage}/logs"

log "Database: migrations and demo data"
"$NODE" ace.js migration:run --force
"$NODE" ace.js db:seed

admin_email=admin@proctor.local
admin_password=$("$NODE" -e 'console.log(require("crypto").randomBytes(9).toString("base64url"))')
if "$NODE" ace.js user:create --email "$admin_email" --name "Администратор" --role admin --password "$admin_password" --only-new | grep -q created; then
  printf '%s\n' "$admin_password" > "${DATA_DIR:-storage}/admin-password.txt"
  chmod 600 "${DATA_DIR:-storage}/admin-password.txt"
fi

pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

log "Starting the analysis worker and the web app (with the live video SFU)"
"$NODE" ace.js worker:run >>"${DATA_DIR:-storage}/logs/worker.log" 2>&1 &
pids+=($!)
"$NODE" --import=@poppinss/ts-exec bin/server.ts >>"${DATA_DIR:-storage}/logs/app.log" 2>&1 &
pids+=($!)

for _ in $(seq 1 60); do curl -fs "http://127.0.0.1:${PORT}/health" >/dev/null 2>&1 && break; sleep 1; done
demo_link=$("$NODE" ace.js link:issue --exam 1 --candidate 1)
live_port=${LIVE_PORT:-40000}
live_ports="${live_port}-$((live_port + ${LIVE_WORKERS:-$(nproc)} - 1))"
cat <<MSG

  The appliance is running.
    Proctor panel:  ${APP_URL}/login
    Login:          ${admin_email}
    Password:       $(cat "${DATA_DIR:-storage}/admin-password.txt" 2>/dev/null || echo '(set earlier; reset with: node_modules/.bin/node ace.js user:create --email '"$admin_email"')')
    Demo student:   ${demo_link}
    Live video:     UDP and TCP ports ${live_ports} (one per mediasoup worker): open them to the browsers
  Logs are in ${DATA_DIR:-storage}/logs. Press Ctrl-C to stop.

MSG
wait -n "${pids[@]}"
