#!/usr/bin/env bash
# The test command (README): installs missing prerequisites, then runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-test-deps.sh

cargo fmt --all -- --check
scripts/lint-actions.sh
cargo test --workspace --locked
