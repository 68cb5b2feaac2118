#!/usr/bin/env bash
# Installs what the test suite needs, only when missing, so `scripts/test.sh` works on a fresh
# machine and a test is never skipped because a tool is absent.
#
# Debian packages go through apt. The workflow linters come from PyPI and npm at pinned
# versions, into a cache directory of their own (never the system's site-packages):
#   $GANTRY_TOOLS_DIR (default ~/.cache/gantry-tools)/venv  zizmor, check-jsonschema
#   $GANTRY_TOOLS_DIR/npm                                     @action-validator/cli
# scripts/lint-actions.sh finds them there.
set -euo pipefail

# Pinned linter versions; bump them here (the stamp files below notice the change).
ZIZMOR_VERSION=1.32.0
CHECK_JSONSCHEMA_VERSION=0.39.0
ACTION_VALIDATOR_VERSION=0.6.0

tools_dir="${GANTRY_TOOLS_DIR:-${HOME}/.cache/gantry-tools}"

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing_debs=()
command -v docker-registry >/dev/null 2>&1 || [ -x /usr/bin/docker-registry ] || missing_debs+=(docker-registry)
command -v skopeo >/dev/null 2>&1 || missing_debs+=(skopeo)
command -v shellcheck >/dev/null 2>&1 || missing_debs+=(shellcheck)
command -v git >/dev/null 2>&1 || missing_debs+=(git)
command -v python3 >/dev/null 2>&1 || missing_debs+=(python3)
# Debian splits venv's pip bootstrap into python3-venv.
python3 -c 'import ensurepip' >/dev/null 2>&1 || missing_debs+=(python3-venv)
command -v npm >/dev/null 2>&1 || missing_debs+=(npm)

if [ "${#missing_debs[@]}" -gt 0 ]; then
  echo "installing Debian packages: ${missing_debs[*]}" >&2
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing_debs[@]}" >/dev/null
fi

mkdir -p "$tools_dir"

python_pins="zizmor==${ZIZMOR_VERSION} check-jsonschema==${CHECK_JSONSCHEMA_VERSION}"
if [ "$(cat "$tools_dir/venv/.gantry-pins" 2>/dev/null)" != "$python_pins" ]; then
  echo "installing into $tools_dir/venv: $python_pins" >&2
  rm -rf "$tools_dir/venv"
  python3 -m venv "$tools_dir/venv"
  # shellcheck disable=SC2086 # the pins are separate words
  "$tools_dir/venv/bin/python" -m pip install --quiet --disable-pip-version-check $python_pins
  printf '%s' "$python_pins" >"$tools_dir/venv/.gantry-pins"
fi

npm_pins="@action-validator/cli@${ACTION_VALIDATOR_VERSION} @action-validator/core@${ACTION_VALIDATOR_VERSION}"
if [ "$(cat "$tools_dir/npm/.gantry-pins" 2>/dev/null)" != "$npm_pins" ]; then
  echo "installing into $tools_dir/npm: $npm_pins" >&2
  rm -rf "$tools_dir/npm"
  mkdir -p "$tools_dir/npm"
  # shellcheck disable=SC2086 # the pins are separate words
  npm install --silent --no-audit --no-fund --save-exact --prefix "$tools_dir/npm" $npm_pins >/dev/null
  printf '%s' "$npm_pins" >"$tools_dir/npm/.gantry-pins"
fi
