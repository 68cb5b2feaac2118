#!/usr/bin/env bash
# Lints every workflow, action and shell script, offline (scripts/test.sh runs it):
#   zizmor            security audits (.github/zizmor.yml); any finding above informational fails
#   check-jsonschema  SchemaStore's github-workflows and github-actions schemas, as bundled
#   action-validator  the same kind of schema check, from another implementation
#   ShellCheck        scripts/*.sh, .ci/run, and every bash `run:` body of the workflows and actions
# The tools come from scripts/install-test-deps.sh (pinned versions, in $GANTRY_TOOLS_DIR).
set -euo pipefail
unset ENV BASH_ENV CDPATH
cd "$(dirname "$0")/.."

tools_dir="${GANTRY_TOOLS_DIR:-${HOME}/.cache/gantry-tools}"
venv="$tools_dir/venv/bin"
action_validator="$tools_dir/npm/node_modules/.bin/action-validator"
for tool in "$venv/zizmor" "$venv/check-jsonschema" "$action_validator"; do
  [ -x "$tool" ] || {
    echo "lint-actions: $tool is missing; run scripts/install-test-deps.sh" >&2
    exit 1
  }
done
command -v shellcheck >/dev/null || {
  echo "lint-actions: shellcheck is missing; run scripts/install-test-deps.sh" >&2
  exit 1
}

workflows=(.github/workflows/*.yml)
actions=(action.yml actions/*/action.yml)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "lint-actions: zizmor" >&2
"$venv/zizmor" --offline --no-progress --min-severity low "${workflows[@]}" "${actions[@]}"

echo "lint-actions: check-jsonschema" >&2
"$venv/check-jsonschema" --builtin-schema vendor.github-workflows "${workflows[@]}"
"$venv/check-jsonschema" --builtin-schema vendor.github-actions "${actions[@]}"

echo "lint-actions: action-validator" >&2
# action-validator 0.6.0's schema predates the `attestations` permission (which
# actions/attest-build-provenance needs); it checks a copy without those lines. The file
# keeps its name: action-validator tells actions from workflows by it.
for file in "${workflows[@]}" "${actions[@]}"; do
  mkdir -p "$work/validate/$(dirname "$file")"
  sed '/^ *attestations: write$/d' "$file" >"$work/validate/$file"
  "$action_validator" "$work/validate/$file" || {
    echo "lint-actions: action-validator rejects $file" >&2
    exit 1
  }
done

echo "lint-actions: shellcheck" >&2
shellcheck scripts/*.sh .ci/run
# Each bash `run:` body as a script of its own, with the runner's `bash -eo pipefail` header.
"$venv/python" - "$work/runs" "${workflows[@]}" "${actions[@]}" <<'PYTHON'
import pathlib, sys
from ruamel.yaml import YAML

out = pathlib.Path(sys.argv[1])
out.mkdir(parents=True)
yaml = YAML(typ="safe")
count = 0

def steps_of(document):
    if "runs" in document:
        yield "", document["runs"].get("steps", []), "bash"
    for name, job in (document.get("jobs") or {}).items():
        shell = ((job.get("defaults") or {}).get("run") or {}).get("shell", "bash")
        yield name, job.get("steps", []), shell

for path in sys.argv[2:]:
    document = yaml.load(pathlib.Path(path).read_text())
    for job, steps, default_shell in steps_of(document):
        for index, step in enumerate(steps):
            if "run" not in step or step.get("shell", default_shell) != "bash":
                continue
            body = step["run"]
            if "${{" in body:
                sys.exit(f"{path}: job {job or '-'} step {index}: no ${{{{ }}}} inside run:, use env:")
            count += 1
            name = f"{path.replace('/', '_')}-{job or 'action'}-{index}.sh"
            (out / name).write_text("#!/usr/bin/env bash\nset -eo pipefail\n" + body + "\n")
print(f"lint-actions: {count} run: bodies extracted", file=sys.stderr)
PYTHON
shellcheck "$work"/runs/*.sh

echo "lint-actions: ${#workflows[@]} workflows, ${#actions[@]} actions: clean" >&2
