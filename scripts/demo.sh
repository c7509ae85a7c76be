#!/usr/bin/env bash
# Runs the nightly job end to end on this machine: makes sure a local
# database server is up, builds mot, generates a sample bulk and three
# deltas in the real archive layout, loads them into the database named by
# DB_NAME (default mot_demo), prints the status, and checks the row counts
# against the generator's expected counts.
#
# DEMO_VEHICLES sets the bulk size (default 20000).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/ensure-db.sh

export DB_NAME="${DB_NAME:-mot_demo}"
vehicles="${DEMO_VEHICLES:-20000}"
work="demo"

echo "== building mot (release)" >&2
cargo build --release --locked -q -p mot-cli
mot="target/release/mot"

echo "== generating a bulk of $vehicles vehicles and 3 deltas into $work/files" >&2
rm -rf "$work"
mkdir -p "$work/files"
"$mot" generate --out "$work/files" --vehicles "$vehicles" --deltas 3 --json > "$work/expected.json"

echo "== loading into $DB_NAME (emptied first)" >&2
"$mot" load --replace "$work/files"
"$mot" load "$work/files"

echo "== status" >&2
"$mot" status

"$mot" status --json > "$work/status.json"
python3 - "$work/expected.json" "$work/status.json" <<'PY'
import json, sys
manifest = json.load(open(sys.argv[1]))
expected = (manifest["after_each_delta"] or [manifest["after_bulk"]])[-1]
tables = json.load(open(sys.argv[2]))["tables"]
for name in ("vehicles", "mot_tests", "defects"):
    ok = "ok" if expected[name] == tables[name] else "MISMATCH"
    print(f"{name:10} expected {expected[name]:>10}  loaded {tables[name]:>10}  {ok}")
    if ok != "ok":
        sys.exit(1)
PY
