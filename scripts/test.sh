#!/usr/bin/env bash
# Runs the whole test suite on this machine: makes sure a local database
# server is up (installing MariaDB when none answers), then checks
# formatting and lints, and runs every test, benchmarks included in their
# quick test mode. Then it runs the fault suite with its slow cases, which
# prints every case with its outcome, and the dependency audit. Last, it
# builds the benchmarks and runs benches/run.sh --quick, which prints the
# speed and memory figures and fails only when a load is incomplete. Tests
# create and drop their own databases on the server named by
# MOT_TEST_DATABASE_URL (default mysql://root@127.0.0.1:3306).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/ensure-db.sh

echo "== cargo fmt --check" >&2
cargo fmt --all --check

echo "== cargo clippy" >&2
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== cargo test" >&2
cargo test --workspace --all-targets --locked
cargo test --workspace --doc --locked

echo "== fault suite" >&2
scripts/faults.sh --slow

echo "== dependency audit" >&2
scripts/audit.sh

echo "== benchmarks (quick mode)" >&2
cargo bench --workspace --locked --no-run
benches/run.sh --quick
