# setup.sh: sourced by scripts/bench and scripts/test: install missing Debian packages, build.
# Usage: cb_setup BUILD_DIR [cmake args...]

# liburing-dev: the uring backend; libhiredis-dev, redis-server, redis-tools: the redis workload, the
# server it starts and redis-benchmark beside it; libsqlite3-dev, sqlite3: the history of runs.
CB_PACKAGES="cmake make gcc pkg-config libuv1-dev libcmocka-dev libcjson-dev libhttp-parser-dev libinih-dev gnuplot-nox
  liburing-dev libhiredis-dev redis-server redis-tools libsqlite3-dev sqlite3"
# Optional, for scripts/report-screenshot only (a look at report.html in headless Chromium): never
# needed by the main job. Install with: cb_install $CB_OPTIONAL_PACKAGES
CB_OPTIONAL_PACKAGES="chromium"

cb_missing_packages() {
  local p missing=""
  for p in $CB_PACKAGES "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
  done
  echo "$missing"
}

cb_install() {
  local missing; missing=$(cb_missing_packages "$@")
  [ -z "$missing" ] && return 0
  if [ "$(id -u)" != 0 ]; then
    echo "concbench: missing Debian packages:$missing; install them with: sudo apt-get install$missing" >&2
    exit 2
  fi
  echo "concbench: installing$missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  # The package lists of a fresh machine may be empty or stale: refresh once, then install.
  if ! apt-get install -y -q --no-install-recommends $missing >/dev/null 2>&1; then
    apt-get update -q >/dev/null 2>&1 || true
    apt-get install -y -q --no-install-recommends $missing >&2 || {
      echo "concbench: could not install$missing with apt-get; install them by hand" >&2; exit 2; }
  fi
}

cb_build() {
  local dir=$1; shift
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release "$@" >"$dir.cmake.log" 2>&1 || {
    cat "$dir.cmake.log" >&2; echo "concbench: cmake failed (log: $dir.cmake.log)" >&2; exit 2; }
  rm -f "$dir.cmake.log"
  # Quiet when it works; the whole log when it does not.
  cmake --build "$dir" -j"$(nproc)" >"$dir.build.log" 2>&1 || {
    cat "$dir.build.log" >&2; echo "concbench: build failed (log: $dir.build.log)" >&2; exit 2; }
  rm -f "$dir.build.log"
}
