#!/usr/bin/env bash
# Runs every test of the project: the Rust workspace (core, CLI, C ABI, fake ARM, benchmark smoke test),
# short fuzz runs where cargo-fuzz is installed, and the PowerShell module's tests in the real PowerShell 7.6
# engine (Pester and hosted-engine tests; they need the .NET SDK). Installs nothing: what is missing is
# reported as skipped (.ci/run installs what CI needs).
# Usage: bash scripts/test-all.sh
set -uo pipefail
cd "$(dirname "$0")/.."

status=0

echo "== Rust workspace: cargo test --workspace"
if ! cargo test --workspace --all-targets --no-fail-fast; then
  status=1
fi

echo
echo "== Fuzzing (short runs; longer runs: see fuzz/README.md)"
if cargo fuzz --version >/dev/null 2>&1; then
  secs="${FUZZ_SECONDS:-20}"
  for target in snapshot_load resource_id error_code ffi_bytes plan_load; do
    # cargo-fuzz needs nightly features; RUSTC_BOOTSTRAP lets the stable compiler provide them.
    # libFuzzer exits 77 on a crash (set below); any other failure means the fuzzer could not be built or run.
    # New inputs go to fuzz/corpus/<target> (ignored by git); the committed seeds are only read.
    mkdir -p "fuzz/corpus/$target"
    RUSTC_BOOTSTRAP=1 cargo fuzz run "$target" "fuzz/corpus/$target" "fuzz/seeds/$target" -- -max_total_time="$secs" -rss_limit_mb=4096 \
      -error_exitcode=77 >"target/fuzz-$target.log" 2>&1
    rc=$?
    if [ "$rc" -eq 0 ]; then
      echo "fuzz $target: no crash in ${secs}s ($(grep -o 'Done [0-9]* runs' "target/fuzz-$target.log" | tail -1))"
    elif [ "$rc" -eq 77 ]; then
      echo "fuzz $target: FAILED: a crash (input saved in fuzz/artifacts/$target; add it to fuzz/regressions/$target)"
      tail -40 "target/fuzz-$target.log"
      status=1
    else
      echo "fuzz $target: skipped: the fuzzer could not be built or run here (exit $rc; see target/fuzz-$target.log)"
    fi
  done
else
  echo "skipped: cargo-fuzz is not installed (cargo install cargo-fuzz); the seeds and saved crashes still ran in tests/fuzz_regressions.rs"
fi

echo
echo "== PowerShell module"
if [ -f ps-module/tests/run.sh ]; then
  if ! bash ps-module/tests/run.sh; then
    status=1
  fi
else
  echo "skipped: ps-module/tests/run.sh is not there yet"
fi

if [ "$status" -ne 0 ]; then
  echo "test-all: FAILED"
else
  echo "test-all: all suites passed"
fi
exit "$status"
