#!/usr/bin/env bash
# A real pwsh on a machine that has the .NET SDK but no PowerShell: the PowerShell 7.6 console host built
# from Microsoft.PowerShell.SDK (tests/pwsh/), with Pester 5.7.1 on its module path. Takes pwsh's own
# arguments: `ps-module/tests/pwsh.sh -NoProfile -File x.ps1`, `-Command '...'`, or none for a prompt.
# The first call builds it (about 30 s, needs the NuGet source); later calls start it at once.
# Env: AZFS_PWSH_REBUILD=1 forces a rebuild.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
bin="$target_dir/dotnet/bin/Pwsh/release"
exe="$bin/pwsh"

stale=0
if [ ! -x "$exe" ] || [ ! -f "$bin/Modules/Pester/5.7.1/Pester.psd1" ] || [ "${AZFS_PWSH_REBUILD:-0}" = 1 ]; then
  stale=1
else
  for src in "$here/pwsh/Pwsh.csproj" "$here/pwsh/Program.cs" "$root/ps-module/Directory.Build.props"; do
    [ "$src" -nt "$exe" ] && stale=1
  done
fi
if [ "$stale" = 1 ]; then
  if ! command -v dotnet >/dev/null 2>&1; then
    echo "pwsh.sh: dotnet not found: the test pwsh is built with the .NET SDK (8 or later)" >&2
    exit 127
  fi
  echo "pwsh.sh: building the PowerShell 7.6 host (Microsoft.PowerShell.SDK 7.6.10) with Pester 5.7.1" >&2
  dotnet build "$here/pwsh/Pwsh.csproj" -c Release --nologo -v quiet >&2
  touch "$exe"
fi
if [ ! -f "$bin/Modules/Pester/5.7.1/Pester.psd1" ]; then
  echo "pwsh.sh: Pester 5.7.1 is missing from $bin/Modules after the build" >&2
  exit 1
fi
# Colour codes make logs unreadable; an interactive user keeps them.
[ -t 1 ] || export NO_COLOR=1
exec "$exe" "$@"
