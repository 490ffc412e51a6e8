#!/usr/bin/env bash
# Makes a working mediasoup-worker binary available and prints its absolute path as the LAST
# line of stdout (every log line goes to stderr). Idempotent; run as root on Debian 12.
#
#   MEDIASOUP_WORKER_BIN=/path    use that binary as it is (must be executable)
#   MEDIASOUP_WORKER_SOURCE=auto  auto (default): try mediasoup's prebuilt download, then build
#                           download: prebuilt only; build: build from the npm package's sources
#   MEDIASOUP_WORKER_CACHE=DIR    cache root (default /var/cache/proctor-appliance/mediasoup);
#                           the binary lands in DIR/<version>-<patchhash8>/mediasoup-worker
#   MEDIASOUP_WORKER_PREBUILT_DOWNLOAD_BASE_URL  release base URL (as mediasoup's own install uses)
#   MEDIASOUP_WORKER_JOBS=N       ninja jobs (default: nproc)
#
# The build copies node_modules/mediasoup/worker to a temporary folder (node_modules is never
# changed), applies scripts/mediasoup/*.patch (system libraries instead of meson subprojects,
# libsrtp2 instead of libsrtp3, the kernel-TLS BIO fix) and the shim headers, and builds against
# Debian 12's packages. See ../shared/notes/mediasoup-on-debian.md for why.
# Run-time packages the built binary needs: libuv1 libssl3 libsrtp2-1 libabsl20220623.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PATCH_DIR="$ROOT/scripts/mediasoup"
PKG_DIR="$ROOT/node_modules/mediasoup"
CACHE_ROOT="$(realpath -m "${MEDIASOUP_WORKER_CACHE:-/var/cache/proctor-appliance/mediasoup}")"
SOURCE="${MEDIASOUP_WORKER_SOURCE:-auto}"

log() { printf '[mediasoup-worker] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# A worker started without MEDIASOUP_VERSION exits with status 41 (src/main.cpp): that proves
# the binary loads and runs on this host (the same check mediasoup's own install does).
worker_runs() {
  local bin="$1" rc=0
  [ -x "$bin" ] || return 1
  env -i "$bin" >/dev/null 2>&1 </dev/null || rc=$?
  [ "$rc" -eq 41 ]
}

case "$SOURCE" in
  auto | download | build) ;;
  *) die "MEDIASOUP_WORKER_SOURCE must be auto, download or build (got: $SOURCE)" ;;
esac

if [ -n "${MEDIASOUP_WORKER_BIN:-}" ]; then
  [ -x "$MEDIASOUP_WORKER_BIN" ] || die "MEDIASOUP_WORKER_BIN=$MEDIASOUP_WORKER_BIN is not an executable file"
  log "using MEDIASOUP_WORKER_BIN as given"
  printf '%s\n' "$(cd "$(dirname "$MEDIASOUP_WORKER_BIN")" && pwd)/$(basename "$MEDIASOUP_WORKER_BIN")"
  exit 0
fi

[ -f "$PKG_DIR/package.json" ] || die "$PKG_DIR is missing: run npm ci first"
VERSION="$(sed -n 's/^[[:space:]]*"version":[[:space:]]*"\([^"]*\)".*/\1/p' "$PKG_DIR/package.json" | head -n1)"
[ -n "$VERSION" ] || die "cannot read the mediasoup version from $PKG_DIR/package.json"

# The cache key covers every file of the project's port (names and contents).
PATCH_HASH="$(cd "$PATCH_DIR" && find . -type f -print0 | LC_ALL=C sort -z \
  | xargs -0 sha256sum | sha256sum | cut -c1-8)"
CACHE_DIR="$CACHE_ROOT/$VERSION-$PATCH_HASH"
CACHED_BIN="$CACHE_DIR/mediasoup-worker"

if worker_runs "$CACHED_BIN"; then
  log "cached: $CACHED_BIN"
  printf '%s\n' "$CACHED_BIN"
  exit 0
fi
mkdir -p "$CACHE_DIR"

# One build at a time (say scripts/test.sh and scripts/appliance.sh at once): wait for the
# other run, then take what it left in the cache.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$CACHE_DIR/.lock"
  flock -w 3600 9 || die "another run holds $CACHE_DIR/.lock"
  if worker_runs "$CACHED_BIN"; then
    log "cached (built by a concurrent run): $CACHED_BIN"
    printf '%s\n' "$CACHED_BIN"
    exit 0
  fi
fi

# Puts a checked binary into the cache atomically (a copy next to it, then rename).
install_into_cache() {
  local src="$1" tmp
  tmp="$(mktemp "$CACHE_DIR/.mediasoup-worker.XXXXXX")"
  cp "$src" "$tmp"
  chmod 0755 "$tmp"
  mv -f "$tmp" "$CACHED_BIN"
}

# mediasoup's own prebuilt binary: <repo>/releases/download/<version>/
# mediasoup-worker-<version>-linux-x64-kernel<major>.tgz (see node_modules/mediasoup/npm-scripts.mjs).
try_download() {
  local arch kernel base url tmp
  case "$(uname -m)" in
    x86_64) arch=x64 ;;
    aarch64) arch=arm64 ;;
    *) log "no prebuilt binary for $(uname -m)"; return 1 ;;
  esac
  kernel="$(uname -r | cut -d. -f1)"
  base="${MEDIASOUP_WORKER_PREBUILT_DOWNLOAD_BASE_URL:-https://github.com/versatica/mediasoup/releases/download}"
  url="$base/$VERSION/mediasoup-worker-$VERSION-linux-$arch-kernel$kernel.tgz"
  command -v curl >/dev/null 2>&1 || { log "curl is missing: no download"; return 1; }
  tmp="$(mktemp -d /tmp/mediasoup-download.XXXXXX)"
  log "downloading $url"
  if ! curl -fsSL --connect-timeout 5 --max-time 120 -o "$tmp/worker.tgz" "$url"; then
    log "download failed"
    rm -rf "$tmp"; return 1
  fi
  mkdir "$tmp/x"
  local found=""
  if tar -xzf "$tmp/worker.tgz" -C "$tmp/x"; then
    found="$(find "$tmp/x" -type f -name mediasoup-worker | head -n1)"
  fi
  if [ -z "$found" ]; then
    log "the downloaded archive has no mediasoup-worker"
    rm -rf "$tmp"; return 1
  fi
  chmod 0755 "$found"
  if ! worker_runs "$found"; then
    log "the downloaded binary does not run on this host"
    rm -rf "$tmp"; return 1
  fi
  install_into_cache "$found"
  rm -rf "$tmp"
}

# Debian packages for the build, installed only when missing; meson comes from bookworm-backports
# (bookworm's 1.0.1 is older than the 1.1 the worker's meson.build asks for).
BUILD_PACKAGES=(g++ pkg-config ninja-build libuv1-dev libssl-dev libsrtp2-dev libabsl-dev
  flatbuffers-compiler libflatbuffers-dev patch)

meson_new_enough() {
  command -v meson >/dev/null 2>&1 || return 1
  local v; v="$(meson --version 2>/dev/null)" || return 1
  [ "$(printf '%s\n' 1.1.0 "$v" | sort -V | head -n1)" = 1.1.0 ]
}

ensure_build_packages() {
  local missing=() pkg updated=0 codename
  for pkg in "${BUILD_PACKAGES[@]}"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  export DEBIAN_FRONTEND=noninteractive
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing Debian packages: ${missing[*]}"
    apt-get update -qq >&2; updated=1
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  fi
  if ! meson_new_enough; then
    codename="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"
    [ -n "$codename" ] || die "cannot tell the Debian release (VERSION_CODENAME)"
    if ! grep -rqs "$codename-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
      log "adding $codename-backports (deb.debian.org) for meson"
      cat >/etc/apt/sources.list.d/$codename-backports.sources <<SRC
Types: deb
URIs: http://deb.debian.org/debian
Suites: $codename-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
      updated=0
    fi
    [ "$updated" -eq 1 ] || apt-get update -qq >&2
    log "installing meson from $codename-backports"
    apt-get install -y -qq --no-install-recommends -t "$codename-backports" meson >&2
    meson_new_enough || die "meson >= 1.1 is still missing (have: $(meson --version 2>/dev/null || echo none))"
  fi
}

BUILD_DIR=""
trap '[ -z "$BUILD_DIR" ] || rm -rf "$BUILD_DIR"' EXIT

do_build() {
  local work jobs t0 t1
  ensure_build_packages
  work="$(mktemp -d /tmp/mediasoup-build.XXXXXX)"
  BUILD_DIR="$work"
  log "copying the worker sources to $work"
  cp -a "$PKG_DIR/worker" "$work/worker"
  # Build outputs or downloaded subprojects from an earlier npm build are not sources.
  rm -rf "$work/worker/out" "$work/worker/subprojects/packagecache"
  local p
  for p in "$PATCH_DIR"/*.patch; do
    log "applying $(basename "$p")"
    patch -p1 --forward --no-backup-if-mismatch -s -d "$work/worker" <"$p" >&2
  done
  if [ -d "$PATCH_DIR/include" ]; then cp -a "$PATCH_DIR/include/." "$work/worker/include/"; fi
  jobs="${MEDIASOUP_WORKER_JOBS:-$(nproc)}"
  t0=$(date +%s)
  log "meson setup"
  (cd "$work/worker" && meson setup --wrap-mode=nodownload --buildtype release \
    -Db_ndebug=true -Dms_log_trace=false -Dms_log_file_line=false -Dms_build_tests=false \
    -Dms_build_fuzzer=false -Dms_use_builtin_bwe=false out) >&2
  log "ninja -j$jobs mediasoup-worker (a few minutes)"
  ninja -C "$work/worker/out" -j"$jobs" mediasoup-worker >&2
  strip "$work/worker/out/mediasoup-worker"
  worker_runs "$work/worker/out/mediasoup-worker" || die "the built worker does not run"
  install_into_cache "$work/worker/out/mediasoup-worker"
  t1=$(date +%s)
  log "built in $((t1 - t0)) s"
}

case "$SOURCE" in
  download) try_download || die "no prebuilt mediasoup-worker could be downloaded" ;;
  build) do_build ;;
  auto) try_download || { log "falling back to building from source"; do_build; } ;;
esac

worker_runs "$CACHED_BIN" || die "$CACHED_BIN does not run"
log "ready: $CACHED_BIN"
printf '%s\n' "$CACHED_BIN"
