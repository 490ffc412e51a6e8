#!/usr/bin/env bash
# The whole test suite from nothing: system packages (ffmpeg, chromium), npm dependencies,
# the type check, then unit, functional (real HTTP + SQLite) and browser (real Chromium,
# fake camera/microphone/screen, real ffmpeg, a real mediasoup worker) tests. Run as root on Debian 12.
source "$(dirname "$0")/lib.sh"

ensure_apt ffmpeg chromium espeak-ng sox ca-certificates fonts-dejavu-core poppler-utils coturn
ensure_npm
install_node_modules
# Live video's SFU: mediasoup's worker binary, built (or downloaded) once and cached outside the
# checkout, keyed by version and our patches; a second run reuses it.
ensure_mediasoup_worker
build_assets

log "Type check (tsc --noEmit)"
node_modules/.bin/tsc --noEmit

log "Tests"
exec "$NODE" --import=@poppinss/ts-exec bin/test.ts "$@"
