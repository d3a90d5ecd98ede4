#!/usr/bin/env bash
# Optional check of the Windows build: cross-builds the library for x86_64-pc-windows-gnu (debug, so the
# cancel case's delay hook works), builds tests/c/ffi_driver.c with mingw-w64 against the DLL, and runs it
# under Wine. Needs: rustup target x86_64-pc-windows-gnu, gcc-mingw-w64-x86-64, wine64 (Debian packages).
# Wine 8 lacks bcryptprimitives.dll (Rust's standard library needs ProcessPrng), so a stub is built here.
# Not part of the default test run; prints "skipped: ..." when a tool is missing.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
wine=$(command -v wine64 || ls /usr/lib/wine/wine64 2>/dev/null || true)
for tool in x86_64-w64-mingw32-gcc-posix; do
  command -v "$tool" >/dev/null || { echo "skipped: $tool not found (apt-get install gcc-mingw-w64-x86-64)"; exit 0; }
done
[ -n "$wine" ] || { echo "skipped: wine64 not found (apt-get install wine64)"; exit 0; }
rustup target list --installed | grep -qx x86_64-pc-windows-gnu || { echo "skipped: rustup target add x86_64-pc-windows-gnu"; exit 0; }

(cd "$root" && cargo build --quiet --lib --target x86_64-pc-windows-gnu)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "${CARGO_TARGET_DIR:-$root/target}/x86_64-pc-windows-gnu/debug/filesync_identity.dll" "$work/"
cat > "$work/stub.c" <<'C'
#include <windows.h>
#define SystemFunction036 NTAPI SystemFunction036
#include <ntsecapi.h>
#undef SystemFunction036
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) { return RtlGenRandom(data, (ULONG)len); }
C
x86_64-w64-mingw32-gcc-posix -shared -o "$work/bcryptprimitives.dll" "$work/stub.c" -ladvapi32
x86_64-w64-mingw32-gcc-posix -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Werror -o "$work/ffi_driver.exe" \
  "$root/tests/c/ffi_driver.c" -I "$root/bindings" "$work/filesync_identity.dll" \
  -static-libgcc -Wl,-Bstatic -lpthread -Wl,-Bdynamic
cd "$work"
WINEDEBUG=-all WINEPREFIX="$work/prefix" "$wine" ./ffi_driver.exe --debug-hooks 2>&1 | grep -v '^wine: '
