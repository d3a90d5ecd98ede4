#!/usr/bin/env bash
# The module's tests: builds the installable module (ps-module/build.sh), runs the SIMULATED host tests
# under Mono against the fake ARM, runs the Pester tests when pwsh exists, and ends with one line
# "N passed, N failed, N skipped". Exits non-zero on any failure.
#
# Env: AZFS_TEST_PROFILE=release tests a release build of the native library (what build.sh ships by
#      default); the default, debug, reuses what `cargo test` already built (a release build with thin LTO
#      takes minutes on two cores);
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

# 1. the module, as it would be installed
build_flags=()
[ "${AZFS_TEST_PROFILE:-debug}" = debug ] && build_flags+=(--debug)
[ "${AZFS_TEST_WINDOWS:-0}" = 1 ] || build_flags+=(--skip-windows)
out="$mod_root/out"
if "$mod_root/build.sh" "${build_flags[@]}" --out "$out"; then
  passed=$((passed + 1)); echo "ok - build.sh produced $out/AzFileSync.ManagedIdentity"
else
  failed=$((failed + 1)); echo "not ok - build.sh failed"; finish
fi
module="$out/AzFileSync.ManagedIdentity"

# 2. the simulated host (Mono) against the fake ARM
echo "--- SIMULATED PowerShell host under Mono (not real PowerShell) ---"
if (cd "$root" && cargo build --quiet -p fake-arm --bin fake-arm); then
  fake_arm="$target_dir/debug/fake-arm"
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  mcs -nologo -target:library -langversion:7.2 -out:"$work/System.Management.Automation.dll" "$here/host/StandIn.cs" \
    && mcs -nologo -target:library -unsafe -langversion:7.2 -warnaserror+ -r:"$work/System.Management.Automation.dll" -r:System.Core.dll \
         -out:"$work/AzFileSync.ManagedIdentity.dll" "$root/bindings/NativeMethods.g.cs" "$mod_root"/src/*.cs \
    && mcs -nologo -target:exe -unsafe -langversion:7.2 -nowarn:169,649 -r:"$work/System.Management.Automation.dll" \
         -r:"$work/AzFileSync.ManagedIdentity.dll" -r:System.Core.dll -r:System.Xml.dll -out:"$work/HostTests.exe" \
         "$here/host/Harness.cs" "$here/host/Tests.cs" "$mod_root/src/Json.cs" "$root/bindings/NativeMethods.g.cs"
  if [ $? -ne 0 ]; then
    failed=$((failed + 1)); echo "not ok - compiling the simulated host"
  else
    log="$work/host.log"
    # Mono maps [DllImport("filesync_identity")] to the module's library through per-assembly dllmaps
    # (PowerShell 7 finds linux-x64/filesync_identity.so by itself).
    for asm in AzFileSync.ManagedIdentity.dll HostTests.exe; do
      printf '<configuration><dllmap dll="filesync_identity" target="%s"/></configuration>\n' \
        "$module/linux-x64/filesync_identity.so" > "$work/$asm.config"
    done
    mono --debug "$work/HostTests.exe" "$module" "$fake_arm" "$root" 2>&1 | tee "$log"
    line="$(grep -E '^simulated host: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$log" | tail -n 1)"
    if [ -z "$line" ]; then
      failed=$((failed + 1)); echo "not ok - the simulated host did not finish"
    else
      read -r p f s <<<"$(echo "$line" | sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped/\1 \2 \3/')"
      passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
    fi
  fi
else
  failed=$((failed + 1)); echo "not ok - building the fake ARM (tests/fake-arm)"
fi

# 3. Pester 5 in real PowerShell
echo "--- Pester (real PowerShell) ---"
if command -v pwsh >/dev/null 2>&1; then
  pester_args=(-ModulePath "$module")
  [ -n "${fake_arm:-}" ] && [ -x "$fake_arm" ] && pester_args+=(-FakeArm "$fake_arm")
  result="$(pwsh -NoProfile -NonInteractive -File "$here/pester/Invoke-Tests.ps1" "${pester_args[@]}" 2>&1)"
  status=$?
  echo "$result"
  line="$(echo "$result" | grep -E '^pester: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' | tail -n 1)"
  if [ -z "$line" ]; then
    failed=$((failed + 1)); echo "not ok - Pester did not run (status $status)"
  else
    read -r p f s <<<"$(echo "$line" | sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped/\1 \2 \3/')"
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  fi
else
  skipped=$((skipped + 1)); echo "skipped: pwsh not found (Pester tests in ps-module/tests/pester need real PowerShell)"
fi

finish
