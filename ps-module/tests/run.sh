#!/usr/bin/env bash
# The module's tests, in the real PowerShell 7.6 engine (Microsoft.PowerShell.SDK 7.6.10), against the
# project's fake ARM on loopback:
#   1. build.sh builds the installable module folder and its PowerShell Gallery package (--package);
#   2. the Pester 5.7.1 suite (tests/pester/) runs under the real console host (tests/pwsh.sh);
#   3. the engine tests (tests/engine/, xunit) host PowerShell with a scripted host: confirmation prompts
#      answered by the host, progress and verbose records, non-interactive sessions.
# Ends with one line "N passed, N failed, N skipped"; exits non-zero on any failure.
#
# Env: AZFS_TEST_PROFILE=release tests a release build of the native library (what build.sh ships by
#      default); the default, debug, reuses what `cargo test` already built;
#      AZFS_TEST_WINDOWS=1 also cross-builds win-x64/ (skipped by default: nothing here loads it).
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mod_root="$(cd "$here/.." && pwd)"
root="$(cd "$mod_root/.." && pwd)"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
passed=0; failed=0; skipped=0

finish() {
  echo "$passed passed, $failed failed, $skipped skipped"
  [ "$failed" -eq 0 ]
  exit $?
}

# Adds the counts of a "<label>: N passed, N failed, N skipped" line to the totals.
count_line() {
  local line="$1"
  read -r p f s <<<"$(echo "$line" | sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped/\1 \2 \3/')"
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
}

if ! command -v dotnet >/dev/null 2>&1; then
  skipped=$((skipped + 1))
  echo "skipped: the PowerShell module's tests: dotnet (the .NET SDK) is not installed; they need it to build the cmdlets and the real PowerShell engine"
  finish
fi

# 1. the module, as it would be installed
build_flags=(--package)
[ "${AZFS_TEST_PROFILE:-debug}" = debug ] && build_flags+=(--debug)
[ "${AZFS_TEST_WINDOWS:-0}" = 1 ] || build_flags+=(--skip-windows)
out="$mod_root/out"
if "$mod_root/build.sh" "${build_flags[@]}" --out "$out"; then
  passed=$((passed + 1)); echo "ok - build.sh produced $out/AzFileSync.ManagedIdentity"
else
  failed=$((failed + 1)); echo "not ok - build.sh failed"; finish
fi
module="$out/AzFileSync.ManagedIdentity"

if (cd "$root" && cargo build --quiet -p fake-arm --bin fake-arm); then
  fake_arm="$target_dir/debug/fake-arm"
else
  failed=$((failed + 1)); echo "not ok - building the fake ARM (tests/fake-arm)"; finish
fi

# 2. Pester 5.7.1 in the real console host
echo "--- Pester $(sed -n 's/.*<PesterVersion>\(.*\)<.*/\1/p' "$here/pwsh/Pwsh.csproj") in PowerShell 7.6 (tests/pwsh.sh) ---"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
"$here/pwsh.sh" -NoProfile -NonInteractive -File "$here/pester/Invoke-Tests.ps1" -ModulePath "$module" -FakeArm "$fake_arm" -RequirePester 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
line="$(grep -E '^pester: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$log" | tail -n 1)"
if [ -z "$line" ]; then
  failed=$((failed + 1)); echo "not ok - Pester did not finish (exit $status)"
else
  count_line "$line"
fi

# 3. xunit tests hosting the engine
echo "--- engine tests (xunit, hosted PowerShell 7.6) ---"
if [ -d "$here/engine" ]; then
  AZFS_MODULE="$module" AZFS_FAKE_ARM="$fake_arm" AZFS_REPO="$root" \
    dotnet test "$here/engine/Engine.Tests.csproj" -c Release --nologo -v quiet --logger "console;verbosity=normal" 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  # The console logger ends with "Total tests: N" and one "Passed: N" / "Failed: N" / "Skipped: N" line each.
  count_of() { grep -E "^ +$1: +[0-9]+$" "$log" | tail -n 1 | grep -oE '[0-9]+' || echo 0; }
  if ! grep -qE '^Total tests: +[0-9]+' "$log"; then
    failed=$((failed + 1)); echo "not ok - the engine tests did not finish (exit $status)"
  else
    p="$(count_of Passed)"; f="$(count_of Failed)"; s="$(count_of Skipped)"
    echo "engine: $p passed, $f failed, $s skipped"
    count_line "engine: $p passed, $f failed, $s skipped"
    if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then failed=$((failed + 1)); echo "not ok - dotnet test exited $status"; fi
  fi
fi

finish
