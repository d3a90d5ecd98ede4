#!/usr/bin/env bash
# Builds the installable module folder ps-module/out/AzFileSync.ManagedIdentity/:
#   AzFileSync.ManagedIdentity.psd1, .dll (C#, netstandard2.0, built by the .NET SDK against
#   PowerShellStandard.Library 5.1.1: loads in Windows PowerShell 5.1 and PowerShell 7), .format.ps1xml,
#   en-US/ help (MAML built from docs/*.md), linux-x64/filesync_identity.so and, when the cross toolchain is
#   present, win-x64/filesync_identity.dll.
#
# Usage: ps-module/build.sh [--debug] [--out DIR] [--package] [--install-windows-toolchain | --skip-windows]
#   --debug   build the native library without --release (faster; debug builds honour test-only request
#             fields; never ship it)
#   --out DIR where to put the AzFileSync.ManagedIdentity folder (default ps-module/out)
#   --package also write DIR/AzFileSync.ManagedIdentity.<version>.nupkg, the PowerShell Gallery package of
#             that folder (tools/pack_nupkg.py; install it with Install-PSResource or Install-Module from a
#             repository registered on DIR, see README.md); it carries the platforms the folder has
#   --install-windows-toolchain  rustup target add x86_64-pc-windows-gnu and apt-get install mingw-w64
#   --skip-windows  do not build win-x64/ even when the cross toolchain is there (the tests do not load it)
#
# Needs: cargo, the .NET SDK (dotnet, 8 or later) with a NuGet source that serves PowerShellStandard.Library
# 5.1.1, and python3 (standard library only) for the help file.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
profile=release
outdir="$here/out"
install_windows=0
skip_windows=0
package=0
while [ $# -gt 0 ]; do
  case "$1" in
    --debug) profile=debug ;;
    --out) outdir="$2"; shift ;;
    --install-windows-toolchain) install_windows=1 ;;
    --skip-windows) skip_windows=1 ;;
    --package) package=1 ;;
    -h|--help) sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
mod="$outdir/AzFileSync.ManagedIdentity"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
cargo_profile_flag=(); [ "$profile" = release ] && cargo_profile_flag=(--release)

say() { echo "build.sh: $*"; }

# --- 1. tools -----------------------------------------------------------------------------------------
for tool in cargo dotnet python3; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    case "$tool" in
      dotnet) say "dotnet not found: install the .NET SDK (8 or later, https://dot.net) to build the cmdlets" >&2 ;;
      *) say "$tool not found" >&2 ;;
    esac
    exit 1
  fi
done

# --- 2. native libraries --------------------------------------------------------------------------------
say "building the native library ($profile)"
(cd "$root" && cargo build --quiet --lib "${cargo_profile_flag[@]}")

win_target=x86_64-pc-windows-gnu
if [ "$install_windows" = 1 ]; then
  rustup target add "$win_target"
  if ! command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1; then
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends gcc-mingw-w64-x86-64 >/dev/null
  fi
fi
windows_status="skipped: the $win_target Rust target or mingw-w64 (x86_64-w64-mingw32-gcc) is not installed; run with --install-windows-toolchain"
built_windows=0
if [ "$skip_windows" = 1 ]; then
  windows_status="skipped: --skip-windows"
elif rustup target list --installed 2>/dev/null | grep -qx "$win_target" && command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1; then
  say "building the Windows DLL ($win_target, $profile)"
  (cd "$root" && cargo build --quiet --lib "${cargo_profile_flag[@]}" --target "$win_target")
  built_windows=1
  windows_status="built win-x64/filesync_identity.dll"
fi

# --- 3. the cmdlets -------------------------------------------------------------------------------------
say "building the cmdlets (netstandard2.0, against PowerShellStandard.Library 5.1.1)"
dotnet build "$here/src/AzFileSync.ManagedIdentity.csproj" -c Release --nologo -v quiet >&2
cmdlets="$target_dir/dotnet/bin/AzFileSync.ManagedIdentity/release/AzFileSync.ManagedIdentity.dll"

# --- 4. the folder, assembled in a staging folder and moved into place at the end -----------------------
mkdir -p "$outdir"
stage="$(mktemp -d "$outdir/.stage.XXXXXX")"
trap 'rm -rf "$stage"' EXIT
s="$stage/AzFileSync.ManagedIdentity"
mkdir -p "$s/linux-x64" "$s/en-US"
cp "$target_dir/$profile/libfilesync_identity.so" "$s/linux-x64/filesync_identity.so"
if [ "$built_windows" = 1 ]; then
  mkdir -p "$s/win-x64"
  cp "$target_dir/$win_target/$profile/filesync_identity.dll" "$s/win-x64/filesync_identity.dll"
fi
cp "$cmdlets" "$s/"
cp "$here/AzFileSync.ManagedIdentity.psd1" "$here/AzFileSync.ManagedIdentity.format.ps1xml" "$root/LICENSE" "$s/"
python3 "$here/tools/build_help.py" "$here/docs" "$s/en-US/AzFileSync.ManagedIdentity.dll-Help.xml"

rm -rf "$mod"
mv "$s" "$mod"

say "module: $mod"
say "linux-x64: built linux-x64/filesync_identity.so ($profile)"
say "win-x64: $windows_status"
if [ "$package" = 1 ]; then
  nupkg="$(python3 "$here/tools/pack_nupkg.py" "$mod" "$outdir")"
  say "package: $nupkg (linux-x64$([ "$built_windows" = 1 ] && echo ', win-x64'))"
fi
