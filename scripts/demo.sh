#!/usr/bin/env bash
# Runs the nightly job end to end on this machine against a local stand-in
# of the MOT History API. It makes sure a local database server is up,
# builds mot and mot-standin, generates a sample bulk and three deltas in
# the real archive layout, serves them from the stand-in on a free port of
# 127.0.0.1, and runs `mot sync` into the database named by DB_NAME
# (default mot_demo, emptied first). It prints the status, runs `mot sync`
# a second time to show that it downloads and loads nothing, checks the row
# counts against the generator's expected counts, and stops the stand-in.
#
# DEMO_VEHICLES sets the bulk size (default 20000). The database is reached
# through DB_HOST, DB_PORT, DB_USER and DB_PASSWORD (defaults: root without
# a password at 127.0.0.1:3306).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/ensure-db.sh

# The demo names its database through DB_NAME, which DATABASE_URL would
# override.
unset DATABASE_URL
export DB_NAME="${DB_NAME:-mot_demo}"
if [[ ! "$DB_NAME" =~ ^[A-Za-z0-9_]+$ ]]; then
    echo "DB_NAME may hold only letters, digits and _; got '$DB_NAME'" >&2
    exit 2
fi
vehicles="${DEMO_VEHICLES:-20000}"
work="demo"
target="${CARGO_TARGET_DIR:-target}"

echo "== building mot and mot-standin (release)" >&2
cargo build --release --locked -q -p mot-cli -p mot-standin
mot="$target/release/mot"
standin="$target/release/mot-standin"

echo "== generating a bulk of $vehicles vehicles and 3 deltas into $work/files" >&2
rm -rf "$work"
mkdir -p "$work/files"
"$mot" generate --out "$work/files" --vehicles "$vehicles" --deltas 3 --json > "$work/expected.json"

# mot and the stand-in read the same variables, so one environment sets the
# credentials the stand-in accepts and the ones mot sends.
export DVLA_TENANT_ID=demo-tenant
export DVLA_CLIENT_ID=demo-client
export DVLA_CLIENT_SECRET=demo-client-secret
export DVLA_API_KEY=demo-api-key
export DOWNLOAD_DIR="$work/downloads"

echo "== starting the API stand-in" >&2
"$standin" --files "$work/files" --max-lifetime-secs 1800 \
    > "$work/standin.out" 2> "$work/standin.log" &
standin_pid=$!
stop_standin() {
    kill "$standin_pid" 2> /dev/null || true
    wait "$standin_pid" 2> /dev/null || true
}
trap stop_standin EXIT

url=""
for _ in $(seq 1 100); do
    url="$(sed -n 's/^listening on //p' "$work/standin.out")"
    [[ -n "$url" ]] && break
    if ! kill -0 "$standin_pid" 2> /dev/null; then
        echo "the stand-in exited early:" >&2
        cat "$work/standin.log" >&2
        exit 1
    fi
    sleep 0.1
done
if [[ -z "$url" ]]; then
    echo "the stand-in printed no address within 10 s; see $work/standin.log" >&2
    exit 1
fi
export DVLA_API_URL="$url"
export DVLA_TOKEN_URL="$url/$DVLA_TENANT_ID/oauth2/v2.0/token"
echo "   listening on $url (requests are logged to $work/standin.log)" >&2

echo "== emptying the database $DB_NAME" >&2
client="$(command -v mariadb || command -v mysql)"
MYSQL_PWD="${DB_PASSWORD:-}" "$client" --protocol=TCP -h "${DB_HOST:-127.0.0.1}" \
    -P "${DB_PORT:-3306}" -u "${DB_USER:-root}" -e "DROP DATABASE IF EXISTS \`$DB_NAME\`"

echo "== mot sync: lists, downloads and loads the bulk and every delta" >&2
"$mot" sync

echo "== status" >&2
"$mot" status

echo "== mot sync again: nothing new, so nothing to download or load" >&2
"$mot" sync 2> "$work/second-sync.log"
cat "$work/second-sync.log" >&2
if ! grep -q " 0 downloaded, 0 loaded," "$work/second-sync.log"; then
    echo "the second sync downloaded or loaded files" >&2
    exit 1
fi

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

echo "== stopping the stand-in" >&2
stop_standin
