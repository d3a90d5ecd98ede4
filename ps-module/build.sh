#!/usr/bin/env bash
# Builds the installable module folder ps-module/out/AzFileSync.ManagedIdentity/:
#   AzFileSync.ManagedIdentity.psd1, .dll (C#, compiled by Mono's mcs against Windows PowerShell 5.1's
#   reference System.Management.Automation.dll), .format.ps1xml, en-US/ help (MAML built from docs/*.md),
#   linux-x64/filesync_identity.so and, when the cross toolchain is present, win-x64/filesync_identity.dll.
#
# Usage: ps-module/build.sh [--debug] [--out DIR] [--install-windows-toolchain | --skip-windows]
#   --debug   build the native library without --release (faster; debug builds honour test-only request
#             fields; never ship it)
#   --out DIR where to put the AzFileSync.ManagedIdentity folder (default ps-module/out)
#   --install-windows-toolchain  rustup target add x86_64-pc-windows-gnu and apt-get install mingw-w64
#   --skip-windows  do not build win-x64/ even when the cross toolchain is there (the tests do not load it)
#
# Needs: cargo, python3 with pip, mcs (installed with apt-get when missing and running as root).
# The reference assembly is downloaded from PyPI (pwsh==0.7.0, sha256 pinned) into a cache outside git
# (AZFS_BUILD_CACHE, default ~/.cache/azfilesync-build); it is never committed or shipped.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
profile=release
outdir="$here/out"
install_windows=0
skip_windows=0
while [ $# -gt 0 ]; do
  case "$1" in
    --debug) profile=debug ;;
    --out) outdir="$2"; shift ;;
    --install-windows-toolchain) install_windows=1 ;;
    --skip-windows) skip_windows=1 ;;
    *) echo "build.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
mod="$outdir/AzFileSync.ManagedIdentity"
cache="${AZFS_BUILD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/azfilesync-build}"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
cargo_profile_flag=(); [ "$profile" = release ] && cargo_profile_flag=(--release)

say() { echo "build.sh: $*"; }

# --- 1. tools -----------------------------------------------------------------------------------------
if ! command -v mcs >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "mcs not found: installing mono-devel"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends mono-devel >/dev/null
  else
    say "mcs (Mono's C# compiler) not found; install mono-devel" >&2
    exit 1
  fi
fi

# --- 2. the reference assembly (Windows PowerShell 5.1's System.Management.Automation 3.0.0.0) ---------
sma_sha256=c45c7e18b3a91a6618afb41795544d2b40100b94e5ee29d090831f424e396e7e
sma="$cache/pwsh-0.7.0/System.Management.Automation.dll"
if [ ! -f "$sma" ]; then
  mkdir -p "$cache/download" "$(dirname "$sma")"
  wheel="$cache/download/pwsh-0.7.0-py3-none-any.whl"
  if [ ! -f "$wheel" ]; then
    say "downloading the PowerShell reference assembly (PyPI pwsh==0.7.0)"
    python3 -m pip download --quiet --disable-pip-version-check pwsh==0.7.0 --no-deps -d "$cache/download" >&2
  fi
  wheel="$(ls "$cache"/download/pwsh-0.7.0-*.whl | head -n 1)"
  got="$(sha256sum "$wheel" | cut -d' ' -f1)"
  if [ "$got" != "$sma_sha256" ]; then
    say "sha256 mismatch for $wheel: expected $sma_sha256, got $got" >&2
    rm -f "$wheel"
    exit 1
  fi
  python3 - "$wheel" "$sma" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    data = z.read("pwsh/lib/System.Management.Automation.dll")
with open(sys.argv[2], "wb") as f:
    f.write(data)
PY
fi

# --- 3. native libraries --------------------------------------------------------------------------------
rm -rf "$mod"
mkdir -p "$mod/linux-x64" "$mod/en-US"
say "building the native library ($profile)"
(cd "$root" && cargo build --quiet --lib "${cargo_profile_flag[@]}")
cp "$target_dir/$profile/libfilesync_identity.so" "$mod/linux-x64/filesync_identity.so"

win_target=x86_64-pc-windows-gnu
if [ "$install_windows" = 1 ]; then
  rustup target add "$win_target"
  if ! command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1; then
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends gcc-mingw-w64-x86-64 >/dev/null
  fi
fi
windows_status="skipped: the $win_target Rust target or mingw-w64 (x86_64-w64-mingw32-gcc) is not installed; run with --install-windows-toolchain"
if [ "$skip_windows" = 1 ]; then
  windows_status="skipped: --skip-windows"
elif rustup target list --installed 2>/dev/null | grep -qx "$win_target" && command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1; then
  say "building the Windows DLL ($win_target, $profile)"
  (cd "$root" && cargo build --quiet --lib "${cargo_profile_flag[@]}" --target "$win_target")
  mkdir -p "$mod/win-x64"
  cp "$target_dir/$win_target/$profile/filesync_identity.dll" "$mod/win-x64/filesync_identity.dll"
  windows_status="built win-x64/filesync_identity.dll"
fi

# --- 4. the C# shim -------------------------------------------------------------------------------------
say "compiling the cmdlets against Windows PowerShell 5.1's reference System.Management.Automation.dll"
mcs -nologo -sdk:4.7.2 -target:library -unsafe -langversion:7.2 -optimize+ -warnaserror+ -nowarn:1591 \
  -r:"$sma" -r:System.dll -r:System.Core.dll \
  -out:"$mod/AzFileSync.ManagedIdentity.dll" \
  "$root/bindings/NativeMethods.g.cs" "$here"/src/*.cs

# --- 5. manifest, formats, help -------------------------------------------------------------------------
cp "$here/AzFileSync.ManagedIdentity.psd1" "$here/AzFileSync.ManagedIdentity.format.ps1xml" "$mod/"
python3 "$here/tools/build_help.py" "$here/docs" "$mod/en-US/AzFileSync.ManagedIdentity.dll-Help.xml"

say "module: $mod"
say "linux-x64: built linux-x64/filesync_identity.so"
say "win-x64: $windows_status"
