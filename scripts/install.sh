#!/usr/bin/env bash
# Installs gantry of this checkout's version for the runner's OS and architecture, and puts it
# on PATH: one multicall binary, `gantry`, and a link gantry-<tool> to it for every tool of
# dist/tools (it runs the tool its name says; the actions call these names). Shared by the root action.yml and every actions/<tool>/action.yml;
# docs/security.md explains the checks, docs/actions.md the settings.
#
# How ($INPUT_INSTALL, else $GANTRY_INSTALL, else auto):
#   auto      download the release archive of dist/version and verify its SHA-256 against
#             dist/checksums.txt of this checkout; build from source when this version has no
#             archive for the platform or the download fails. A checksum mismatch always fails.
#   download  the same, never building from source
#   source    cargo build --release --locked from this checkout
#   path      use the binaries already in $GANTRY_BIN_DIR (gantry-<tool> for every tool)
# Settings:
#   $INPUT_DOWNLOAD_URL, else $GANTRY_DOWNLOAD_URL: where the archives are (https:// or file://),
#     default the GitHub release of the version
#   $GANTRY_SOURCE_PROFILE: test-only, the cargo profile of a source build (default release;
#     the tests use dev to reuse their debug build)
# Verified archives are kept per version in the runner's tool cache ($RUNNER_TOOL_CACHE), and
# verified again, then unpacked afresh, each time the cache is used: self-hosted runners keep
# the cache between jobs, so anything in it may have been changed since.
# Step outputs: bin-dir, version, method (downloaded, cached, source or path).
set -euo pipefail
# Startup files named by an earlier step must not run in this script's subshells, nor a CDPATH
# change where `cd` goes. (action.yml also starts this script with them unset.)
unset ENV BASH_ENV CDPATH

fail() {
  echo "::error title=gantry install::$*" >&2
  exit 1
}

note() {
  echo "gantry install: $*" >&2
}

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

version="$(tr -d '[:space:]' <"$root/dist/version")"
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.]+)?$ ]] ||
  fail "dist/version holds '$version', not a version like 1.2.3"

tools=()
while IFS= read -r line; do
  case "$line" in '' | '#'*) continue ;; esac
  tools+=("$line")
done <"$root/dist/tools"
[ "${#tools[@]}" -gt 0 ] || fail "dist/tools names no tool"

exe=""
case "${RUNNER_OS:-$(uname -s)}/${RUNNER_ARCH:-$(uname -m)}" in
  Linux/X64 | Linux/x86_64) target=x86_64-unknown-linux-musl ;;
  Linux/ARM64 | Linux/aarch64 | Linux/arm64) target=aarch64-unknown-linux-musl ;;
  macOS/ARM64 | Darwin/arm64) target=aarch64-apple-darwin ;;
  macOS/X64 | Darwin/x86_64) target=x86_64-apple-darwin ;;
  Windows/X64 | MINGW*/x86_64 | MSYS*/x86_64)
    target=x86_64-pc-windows-msvc
    exe=.exe
    ;;
  *) target="" ;;
esac

# Git Bash on Windows: work with POSIX paths, hand Windows paths to the runner.
posix_path() {
  if command -v cygpath >/dev/null 2>&1; then cygpath -u "$1"; else printf '%s\n' "$1"; fi
}
runner_path() {
  if command -v cygpath >/dev/null 2>&1; then cygpath -w "$1"; else printf '%s\n' "$1"; fi
}

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  else
    shasum -a 256 "$1" | cut -d' ' -f1
  fi
}

# Every tool binary is in $1 and reports $version (only warned about when $2 is "warn").
check_binaries() {
  local dir="$1" tool reported
  for tool in "${tools[@]}"; do
    [ -x "$dir/gantry-$tool$exe" ] || fail "gantry-$tool$exe is missing from $dir"
    reported="$("$dir/gantry-$tool$exe" --version)" || fail "$dir/gantry-$tool$exe does not run on this runner"
    if [ "$reported" != "gantry-$tool $version" ]; then
      if [ "${2:-}" = warn ]; then
        echo "::warning title=gantry install::$dir/gantry-$tool$exe is '$reported', this action is $version" >&2
      else
        fail "$dir/gantry-$tool$exe is '$reported', expected gantry-$tool $version"
      fi
    fi
  done
}

# The SHA-256 dist/checksums.txt commits for this platform's archive, in $expected. Returns 2
# when there is none.
committed_checksum() {
  [ -n "$target" ] || return 2
  expected="$(awk -v file="$asset" '$2 == file || $2 == "*" file { print $1 }' "$root/dist/checksums.txt")"
  if [ -z "$expected" ]; then
    note "dist/checksums.txt has no checksum for $asset"
    return 2
  fi
  [[ $expected =~ ^[0-9a-f]{64}$ ]] || fail "dist/checksums.txt: '$expected' is not a SHA-256 for $asset"
}

# A gantry-<tool> link to $1/gantry for every tool (a copy where links are not available, as
# in Git Bash on Windows: the binary reads its own file name either way).
link_tools() {
  local dir="$1" tool
  for tool in "${tools[@]}"; do
    ln -sf "gantry$exe" "$dir/gantry-$tool$exe"
  done
}

# Unpacks the verified archive $1 into a fresh tool-cache directory (replacing what was there),
# links the tools and checks them; then marks the cache entry complete.
unpack_into_cache() {
  local archive="$1" work
  work="$(mktemp -d "$temp_root/gantry-install.XXXXXX")"
  tar -xzf "$archive" -C "$work"
  [ -d "$work/gantry-$version-$target" ] || fail "$asset does not hold gantry-$version-$target/"
  rm -rf "$cache_dir" "$cache_dir.complete"
  mkdir -p "$(dirname "$cache_dir")"
  mv "$work/gantry-$version-$target" "$cache_dir"
  rm -rf "$work"
  [ -x "$cache_dir/gantry$exe" ] || fail "$asset does not hold gantry-$version-$target/gantry$exe"
  link_tools "$cache_dir"
  check_binaries "$cache_dir"
  touch "$cache_dir.complete"
}

# The tool cache's archive still matches dist/checksums.txt: its binaries are unpacked from
# it afresh (whatever was changed in the cache since is replaced). Returns 1 when there is no
# such entry or it does not match (then nothing of it is run).
reuse_cache() {
  [ -f "$cache_dir.complete" ] && [ -f "$cache_archive" ] || return 1
  committed_checksum || return 1
  local actual
  actual="$(sha256_of "$cache_archive")"
  if [ "$actual" != "$expected" ]; then
    note "the tool cache's $asset is $actual, not the $expected of dist/checksums.txt; downloading it again"
    rm -rf "$cache_dir" "$cache_dir.complete" "$cache_archive"
    return 1
  fi
  note "sha256 $actual of the cached archive verified against dist/checksums.txt"
  unpack_into_cache "$cache_archive"
}

# Downloads and verifies the archive, keeps it in the tool cache and unpacks it there.
# Returns 2 when there is nothing to download for this version and platform, 3 when the
# download failed; a checksum mismatch ends the script.
download() {
  committed_checksum || return 2

  local base="${INPUT_DOWNLOAD_URL:-${GANTRY_DOWNLOAD_URL:-https://github.com/gantry-rs/gantry/releases/download/v$version}}"
  local url="${base%/}/$asset"
  case "$url" in
    https://* | file://*) ;;
    *) fail "download URL $url: only https:// and file:// are allowed" ;;
  esac

  local work
  work="$(mktemp -d "$temp_root/gantry-install.XXXXXX")"
  note "downloading $url"
  if ! curl --proto '=https,file' --proto-redir '=https' --tlsv1.2 --fail --silent --show-error \
    --location --retry 3 --retry-connrefused --output "$work/$asset" "$url"; then
    rm -rf "$work"
    return 3
  fi
  local actual
  actual="$(sha256_of "$work/$asset")"
  if [ "$actual" != "$expected" ]; then
    rm -rf "$work"
    fail "checksum mismatch for $asset: downloaded $actual, dist/checksums.txt of this action says $expected. Nothing was installed."
  fi
  note "sha256 $actual verified against dist/checksums.txt"
  mkdir -p "$(dirname "$cache_archive")"
  mv "$work/$asset" "$cache_archive"
  rm -rf "$work"
  unpack_into_cache "$cache_archive"
}

build_from_source() {
  command -v cargo >/dev/null 2>&1 ||
    fail "install: source needs cargo on the runner (GitHub's hosted images have it; else install Rust first)"
  local profile="${GANTRY_SOURCE_PROFILE:-release}" profile_dir
  case "$profile" in
    release) profile_dir=release ;;
    dev) profile_dir=debug ;;
    *) fail "GANTRY_SOURCE_PROFILE is '$profile': release or dev" ;;
  esac
  note "building gantry $version from source in $root (cargo build --profile $profile --locked)"
  (cd "$root" && cargo build --profile "$profile" --locked --package gantry --bin gantry) ||
    fail "cargo build failed in $root"
  local target_dir="${CARGO_TARGET_DIR:-target}"
  case "$target_dir" in /* | [A-Za-z]:*) ;; *) target_dir="$root/$target_dir" ;; esac
  # A directory of its own: the profile directory may hold per-tool binaries of other builds.
  bin_dir="$target_dir/$profile_dir/gantry-bin"
  mkdir -p "$bin_dir"
  ln -sf "../gantry$exe" "$bin_dir/gantry$exe"
  local tool
  for tool in "${tools[@]}"; do
    ln -sf "../gantry$exe" "$bin_dir/gantry-$tool$exe"
  done
  check_binaries "$bin_dir"
}

temp_root="$(posix_path "${RUNNER_TEMP:-${TMPDIR:-/tmp}}")"
cache_root="$(posix_path "${RUNNER_TOOL_CACHE:-$temp_root/gantry-tool-cache}")"
cache_dir="$cache_root/gantry/$version/${target:-unknown}"
asset="gantry-$version-$target.tar.gz"
cache_archive="$cache_dir.tar.gz"
expected=""

mode="${INPUT_INSTALL:-${GANTRY_INSTALL:-auto}}"
case "$mode" in
  auto | download)
    if [ -n "$target" ] && reuse_cache; then
      bin_dir="$cache_dir"
      method=cached
    else
      status=0
      download || status=$?
      if [ "$status" -eq 0 ]; then
        bin_dir="$cache_dir"
        method=downloaded
      elif [ "$mode" = download ]; then
        case "$status" in
          2) fail "no release archive of gantry $version for ${RUNNER_OS:-$(uname -s)}/${RUNNER_ARCH:-$(uname -m)}; use install: source" ;;
          *) fail "the download failed; use install: source to build from this checkout instead" ;;
        esac
      else
        note "no verified download (see above); building from source instead"
        build_from_source
        method=source
      fi
    fi
    ;;
  source)
    build_from_source
    method=source
    ;;
  path)
    [ -n "${GANTRY_BIN_DIR:-}" ] || fail "install: path needs GANTRY_BIN_DIR, the directory holding the gantry binaries"
    bin_dir="$(posix_path "$GANTRY_BIN_DIR")"
    check_binaries "$bin_dir" warn
    method=path
    ;;
  *) fail "install is '$mode': auto, download, source or path" ;;
esac

case "$bin_dir" in *$'\n'* | *$'\r'*) fail "the binary directory has a line break in its name" ;; esac
note "gantry $version ($method) in $bin_dir"
if [ -n "${GITHUB_PATH:-}" ]; then
  runner_path "$bin_dir" >>"$GITHUB_PATH"
fi
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  printf 'bin-dir=%s\nversion=%s\nmethod=%s\n' "$bin_dir" "$version" "$method" >>"$GITHUB_OUTPUT"
fi
