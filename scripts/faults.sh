#!/usr/bin/env bash
# Runs the hostile-input and fault suite and prints each case with its
# outcome: the reader cases (mot-parse tests hostile and fuzz) and the
# end-to-end cases through the mot binary (mot-cli test faults).
#
#   scripts/faults.sh           the fast cases
#   scripts/faults.sh --slow    also the slow_* cases: a 4 GiB sparse ZIP64
#                               archive, wait_timeout, a server restart
#                               during a delta, a full disk during a load
#                               and during a download (tmpfs mounts, which
#                               need root; listed as SKIPPED without it);
#                               CI runs this
#
# MOT_FUZZ_CASES sets the cases per property of the fuzz test (default 256).
# The end-to-end cases need a server at MOT_TEST_DATABASE_URL (default
# mysql://root@127.0.0.1:3306) and the mariadbd and mariadb-install-db
# programs, with which some cases start servers of their own on free
# 127.0.0.1 ports.
set -euo pipefail
cd "$(dirname "$0")/.."

slow=false
for arg in "$@"; do
    case "$arg" in
        --slow) slow=true ;;
        -h | --help)
            sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *)
            echo "faults.sh: unknown option $arg; use --slow or --help" >&2
            exit 2
            ;;
    esac
done

scripts/ensure-db.sh

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0

# Runs one cargo test command, keeping its output for the summary.
run() {
    echo "== cargo test $*" >&2
    if ! cargo test --locked "$@" >>"$log" 2>&1; then
        status=1
    fi
}

run -p mot-parse --test hostile --test fuzz
run -p mot-cli --test faults
skipped=()
if $slow; then
    skip=()
    probe="$(mktemp -d)"
    if mount -t tmpfs -o size=1m tmpfs "$probe" 2> /dev/null; then
        umount "$probe"
    else
        skip=(--skip slow_disk_full)
        skipped=(slow_disk_full_during_download slow_disk_full_during_load)
    fi
    rmdir "$probe"
    run -p mot-cli --test faults -- --ignored slow_ "${skip[@]}"
fi

# cargo test prints "test NAME ... ok" (or FAILED, or "ignored, REASON").
# With --slow the slow cases are listed once, from the run that ran them.
printf '%-8s %s\n' OUTCOME CASE
grep -E '^test [^ ]+ \.\.\. ' "$log" | sed -E \
    -e 's/^test ([^ ]+) \.\.\. ok$/PASS     \1/' \
    -e 's/^test ([^ ]+) \.\.\. FAILED$/FAIL     \1/' \
    -e 's/^test ([^ ]+) \.\.\. ignored, (.*)$/IGNORED  \1 (\2)/' \
    -e 's/^test ([^ ]+) \.\.\. ignored$/IGNORED  \1/' |
    if $slow; then grep -v '^IGNORED  slow_'; else cat; fi
for case in "${skipped[@]}"; do
    printf '%-8s %s (cannot mount a tmpfs here; needs root)\n' SKIPPED "$case"
done
grep -E '^test result:' "$log" >&2 || true

if [[ "$status" != 0 ]]; then
    echo "faults.sh: some cases failed; their output follows" >&2
    sed -n '/^failures:$/,/^test result:/p' "$log" >&2
fi
exit "$status"
