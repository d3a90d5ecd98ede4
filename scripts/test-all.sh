#!/usr/bin/env bash
# Runs every test of the project: the Rust workspace (core, CLI, C ABI, fake ARM, benchmark smoke test)
# and the PowerShell module's tests (simulated host under Mono; Pester where pwsh exists).
# Usage: bash scripts/test-all.sh
set -uo pipefail
cd "$(dirname "$0")/.."

status=0

echo "== Rust workspace: cargo test --workspace"
if ! cargo test --workspace --all-targets --no-fail-fast; then
  status=1
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
