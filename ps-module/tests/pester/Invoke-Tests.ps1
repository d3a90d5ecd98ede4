# Runs the Pester 5 tests of the module in real PowerShell and prints "pester: N passed, N failed, N skipped".
# Called by ../run.sh under ../pwsh.sh (PowerShell 7.6 with Pester 5.7.1); any pwsh with Pester 5.2+ works.
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [string] $FakeArm,
    # Fail, rather than skip, when Pester is missing (run.sh: its pwsh comes with Pester).
    [switch] $RequirePester
)
$ErrorActionPreference = 'Stop'
$pester = Get-Module -ListAvailable Pester | Where-Object { $_.Version -ge [version]'5.2.0' } | Sort-Object Version -Descending | Select-Object -First 1
if (-not $pester) {
    if ($RequirePester) {
        Write-Output "not ok - Pester 5.2 or later is not on this pwsh's module path ($env:PSModulePath)"
        Write-Output 'pester: 0 passed, 1 failed, 0 skipped'
        exit 1
    }
    Write-Output 'skipped: Pester 5.2 or later is not installed (Install-Module Pester -MinimumVersion 5.2.0)'
    Write-Output 'pester: 0 passed, 0 failed, 1 skipped'
    exit 0
}
Import-Module $pester
$config = New-PesterConfiguration
$ModulePath = (Resolve-Path $ModulePath).Path
if ($FakeArm) { $FakeArm = (Resolve-Path $FakeArm).Path }
$config.Run.Container = New-PesterContainer -Path (Join-Path $PSScriptRoot '*.Tests.ps1') -Data @{ ModulePath = $ModulePath; FakeArm = $FakeArm }
$config.Run.PassThru = $true
$config.Output.Verbosity = 'Detailed'
$result = Invoke-Pester -Configuration $config
# A setup block or a whole file that failed counts as a failure too (its tests did not run).
$failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
Write-Output ('pester: {0} passed, {1} failed, {2} skipped' -f $result.PassedCount, $failed, ($result.SkippedCount + $result.NotRunCount))
exit ([int]($failed -gt 0))
