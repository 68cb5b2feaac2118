#!/usr/bin/env bash
# Installs what the test suite needs, only when missing, so `scripts/test.sh` works on a fresh
# machine and a test is never skipped because a tool is absent.
set -euo pipefail

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing_debs=()
command -v docker-registry >/dev/null 2>&1 || [ -x /usr/bin/docker-registry ] || missing_debs+=(docker-registry)
command -v skopeo >/dev/null 2>&1 || missing_debs+=(skopeo)
command -v shellcheck >/dev/null 2>&1 || missing_debs+=(shellcheck)
command -v git >/dev/null 2>&1 || missing_debs+=(git)

if [ "${#missing_debs[@]}" -gt 0 ]; then
  echo "installing Debian packages: ${missing_debs[*]}" >&2
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing_debs[@]}" >/dev/null
fi
