#!/usr/bin/env bash
# Set up everything Karvdash needs on a Debian machine, idempotently:
#   1. Debian packages (as root, with apt-get): Go 1.19, etcd, the Kubernetes source
#      toolchain, and the tools the tests and benchmarks use (chromium for the browser tests);
#   2. a Python virtual environment in .venv with Karvdash installed editable (+ test tools);
#   3. the dev cluster's control plane, built once from Debian's kubernetes source into
#      ~/.cache/karvdash (about 5-10 minutes the first time, then reused).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "[setup] $*" >&2; }

DEBIAN_PACKAGES=(
  golang-1.19-go etcd-server dpkg-dev golang-github-modern-go-reflect2-dev openssl
  wrk docker-registry skopeo nginx libnginx-mod-http-set-misc
  chromium
)

if [ -f /etc/debian_version ]; then
  # kubectl for the user (the dev stack itself does not need it): Debian's, if none yet.
  if ! command -v kubectl >/dev/null; then
    DEBIAN_PACKAGES+=(kubernetes-client)
  fi
  # Node.js for JupyterHub's proxy (configurable-http-proxy, from npm) and the labextension.
  if ! command -v npm >/dev/null; then
    DEBIAN_PACKAGES+=(nodejs npm)
  fi
  missing=()
  for pkg in "${DEBIAN_PACKAGES[@]}"; do
    if ! dpkg-query -W -f '${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$pkg")
    fi
  done
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
      say "missing Debian packages: ${missing[*]}; run: sudo apt-get install ${missing[*]}"
      exit 1
    fi
    say "installing Debian packages: ${missing[*]}"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
  fi
else
  say "not a Debian machine: the dev cluster cannot be built here; use KARVDASH_TEST_KUBECONFIG / karvdash dev --kubeconfig"
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  say "creating the Python environment in .venv"
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.karvdash-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  say "installing Karvdash and its test tools into .venv (pip)"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[test]"
  touch "$stamp"
fi

# The JupyterLab extension (labextension/). pip's build hook built it if there was no
# build; rebuild it when its sources are newer than the build (the hook skips an existing
# one), and keep the node modules `make lint` / `make test` (jlpm lint, jlpm test) need.
# Nothing is fetched when node_modules matches yarn.lock.
lab=labextension
if [ ! -f "$lab/node_modules/.yarn-state.yml" ] || [ "$lab/yarn.lock" -nt "$lab/node_modules/.yarn-state.yml" ]; then
  say "installing the JupyterLab extension's node modules (jlpm; about 2 minutes the first time)"
  (cd "$lab" && PATH="$PWD/../.venv/bin:$PATH" jlpm install --immutable >/dev/null)
fi
built="$lab/build/labextension/package.json"
if [ ! -f "$built" ] || [ -n "$(find "$lab/src" "$lab/style" "$lab/schema" "$lab/package.json" -newer "$built" -print -quit)" ]; then
  say "building the JupyterLab extension (jlpm build:prod) and installing it into .venv"
  (cd "$lab" && PATH="$PWD/../.venv/bin:$PATH" jlpm build:prod >/dev/null)
  .venv/bin/python -m pip install -q --no-deps -e .
fi

# JupyterHub's proxy, from npm, into the environment (not the repository).
chp_version=5.3.0
if [ ! -x .venv/bin/configurable-http-proxy ] \
   || [ "$(.venv/bin/configurable-http-proxy --version 2>/dev/null)" != "$chp_version" ]; then
  say "installing configurable-http-proxy $chp_version (npm) into .venv"
  npm install --silent --no-audit --no-fund --prefix .venv/node \
    "configurable-http-proxy@$chp_version" >/dev/null
  ln -sf ../node/node_modules/.bin/configurable-http-proxy .venv/bin/configurable-http-proxy
fi

if [ -f /etc/debian_version ]; then
  .venv/bin/python -m karvdash.devcluster.build >/dev/null
fi
say "ready"
