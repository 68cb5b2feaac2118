#!/usr/bin/env bash
# Packs the gantry binary built for one target into its release archive, and prints the
# archive's line for dist/checksums.txt ("<sha256>  <file>", sha256sum's format).
#
#   scripts/package.sh TARGET BIN_DIR OUT_DIR
#
# OUT_DIR/gantry-<version>-<TARGET>.tar.gz holds gantry-<version>-<TARGET>/ with the multicall
# binary (gantry, .exe on Windows targets: every tool of dist/tools), README.md and the licence
# files: the layout scripts/install.sh unpacks, adding a gantry-<tool> link per tool. Used by
# release.yml, and by the tests on a debug build.
set -euo pipefail
unset ENV BASH_ENV CDPATH

[ "$#" -eq 3 ] || {
  echo "usage: $0 TARGET BIN_DIR OUT_DIR" >&2
  exit 2
}
target="$1"
bin_dir="$2"
out_dir="$3"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version="$(tr -d '[:space:]' <"$root/dist/version")"

exe=""
case "$target" in *windows*) exe=.exe ;; esac

name="gantry-$version-$target"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/$name" "$out_dir"
# cp follows a link: the archive holds the binary itself.
cp "$bin_dir/gantry$exe" "$work/$name/"
for doc in README.md LICENSE LICENSE-MIT LICENSE-APACHE; do
  if [ -f "$root/$doc" ]; then cp "$root/$doc" "$work/$name/"; fi
done

archive="$name.tar.gz"
tar -czf "$out_dir/$archive" -C "$work" "$name"
if command -v sha256sum >/dev/null 2>&1; then
  sum="$(sha256sum "$out_dir/$archive" | cut -d' ' -f1)"
else
  sum="$(shasum -a 256 "$out_dir/$archive" | cut -d' ' -f1)"
fi
printf '%s  %s\n' "$sum" "$archive"
