# The module held to the request contract the core declares (bindings/contract.json, written from the Rust
# types and checked by tests/api_contract.rs): each parameter's range and default, as the real engine binds
# them, are the core's limits. (The C# request keys and result properties are held to the same file by
# tests/api_contract.rs.)
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [string] $FakeArm
)

BeforeDiscovery {
    # Cmdlet, parameter, the limit's name in the contract.
    $script:held = @(
        @{ Command = 'Test-AzFileSyncManagedIdentity'; Parameter = 'ActivityDays'; Limit = 'activityDays' }
        @{ Command = 'Export-AzFileSyncSnapshot'; Parameter = 'ActivityDays'; Limit = 'activityDays' }
        @{ Command = 'Test-AzFileSyncManagedIdentity'; Parameter = 'ProbeTimeoutSeconds'; Limit = 'probeTimeoutSeconds' }
    )
}

BeforeAll {
    $script:contract = Get-Content (Join-Path $PSScriptRoot '../../../bindings/contract.json') -Raw | ConvertFrom-Json
    Import-Module (Join-Path $ModulePath 'AzFileSync.ManagedIdentity.psd1') -Force
}

AfterAll {
    Remove-Module AzFileSync.ManagedIdentity -ErrorAction SilentlyContinue
}

Describe 'The module validates to the core''s limits' {
    It '<Command> -<Parameter> takes <Limit> (range and default)' -ForEach $held {
        $limit = $contract.limits.$Limit
        $limit | Should -Not -BeNullOrEmpty -Because "the contract has the limit '$Limit'"
        $p = (Get-Command $Command).Parameters[$Parameter]
        $range = $p.Attributes | Where-Object { $_ -is [System.Management.Automation.ValidateRangeAttribute] }
        $range | Should -Not -BeNullOrEmpty
        [double]$range.MinRange | Should -Be ([double]$limit.min)
        [double]$range.MaxRange | Should -Be ([double]$limit.max)
        $type = (Get-Command $Command).ImplementingType
        [double]([Activator]::CreateInstance($type).$Parameter) | Should -Be ([double]$limit.default)
    }

    It 'refuses a value just past the most, as the core would' {
        $max = $contract.limits.activityDays.max
        { Test-AzFileSyncManagedIdentity -SnapshotPath 'none.json' -ActivityDays ($max + 1) -ErrorAction Stop } |
            Should -Throw -ErrorId 'ParameterArgumentValidationError,*'
    }
}
