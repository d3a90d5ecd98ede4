# Pester 5 tests for real PowerShell (Windows PowerShell 5.1 and PowerShell 7): import, exported commands,
# help completeness, parameter binding and -WhatIf. The live cases run against the project's fake ARM
# (tests/fake-arm) with Get-AzContext and Get-AzAccessToken stood in by global functions.
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [string] $FakeArm
)

BeforeDiscovery {
    $script:commands = @(
        'Test-AzFileSyncManagedIdentity'
        'Repair-AzFileSyncPermission'
        'Enable-AzFileSyncManagedIdentity'
        'Get-AzFileSyncErrorInfo'
        'Export-AzFileSyncSnapshot'
    )
}

BeforeAll {
    $script:manifestPath = Join-Path $ModulePath 'AzFileSync.ManagedIdentity.psd1'
    $script:azAccountsWasLoaded = [bool](Get-Module Az.Accounts)
    Import-Module $manifestPath -Force
    $script:module = Get-Module AzFileSync.ManagedIdentity
    $script:manifest = Import-PowerShellDataFile $manifestPath
    $script:repo = (Resolve-Path (Join-Path $PSScriptRoot '../../..')).Path
    $script:sample = Join-Path $repo 'examples/sample-deployment.json'
}

AfterAll {
    Remove-Module AzFileSync.ManagedIdentity -ErrorAction SilentlyContinue
}

Describe 'the module' {
    It 'imports without loading Az.Accounts' {
        if (-not $azAccountsWasLoaded) { Get-Module Az.Accounts | Should -BeNullOrEmpty }
        $manifest.ContainsKey('RequiredModules') | Should -BeFalse
    }

    It 'exports exactly the cmdlets of the manifest, and nothing else' {
        @($module.ExportedCmdlets.Keys | Sort-Object) | Should -Be @($manifest.CmdletsToExport | Sort-Object)
        $module.ExportedFunctions.Count | Should -Be 0
        $module.ExportedAliases.Count | Should -Be 0
        $module.ExportedVariables.Count | Should -Be 0
    }

    It 'targets Desktop and Core from 5.1' {
        $manifest.CompatiblePSEditions | Should -Be @('Desktop', 'Core')
        $manifest.PowerShellVersion | Should -Be '5.1'
    }

    It 'loads the native library and explains a code' {
        $info = Get-AzFileSyncErrorInfo -Code 0x80c8305f
        $info.Name | Should -Be 'ECS_E_EXTERNAL_STORAGE_ACCOUNT_AUTHORIZATION_FAILED'
        $info.Decimal | Should -Be -2134364065
    }
}

Describe 'help for <_>' -ForEach $commands {
    BeforeAll {
        $name = $_
        $help = Get-Help $name -Full
        $command = Get-Command $name
        $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
    }

    It 'has a synopsis, a description and an example' {
        $help.Synopsis | Should -Not -BeNullOrEmpty
        # Without help, PowerShell shows the syntax as the synopsis.
        $help.Synopsis.Trim() | Should -Not -BeLike "$name *"
        ($help.Description.Text -join '') | Should -Not -BeNullOrEmpty
        @($help.Examples.Example).Count | Should -BeGreaterThan 0
    }

    It 'documents every parameter' {
        foreach ($p in $command.Parameters.Keys | Where-Object { $_ -notin $common }) {
            $h = $help.Parameters.Parameter | Where-Object Name -EQ $p
            $h | Should -Not -BeNullOrEmpty -Because "-$p needs help"
            ($h.Description.Text -join '') | Should -Not -BeNullOrEmpty -Because "-$p needs a description"
        }
    }

    It 'documents no parameter that does not exist' {
        foreach ($h in $help.Parameters.Parameter) {
            ($h.Name -in $command.Parameters.Keys) | Should -BeTrue -Because "help documents -$($h.Name)"
        }
    }
}

Describe 'parameter binding' {
    It 'has named parameter sets with a default, and binds Az.StorageSync properties by name' {
        $c = Get-Command Test-AzFileSyncManagedIdentity
        @($c.ParameterSets.Name | Sort-Object) | Should -Be @('ByName', 'ByResourceId', 'BySnapshot')
        $c.DefaultParameterSet | Should -Be 'ByName'
        $c.Parameters['Name'].Aliases | Should -Contain 'StorageSyncServiceName'
        foreach ($p in 'ResourceGroupName', 'Name', 'ResourceId', 'SyncGroupName') {
            $attrs = $c.Parameters[$p].Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] }
            ($attrs.ValueFromPipelineByPropertyName -contains $true) | Should -BeTrue -Because "-$p binds by property name"
            ($attrs.ValueFromPipeline -contains $true) | Should -BeFalse -Because "-$p never binds by type"
        }
    }

    It 'takes error codes in any spelling from the pipeline' {
        $codes = '80C8305F', -2134364065, [pscustomobject]@{ ErrorCodes = @('0x80c86053') } | Get-AzFileSyncErrorInfo | ForEach-Object Code
        $codes | Should -Be @('0x80c8305f', '0x80c8305f', '0x80c86053')
    }

    It 'an unknown code is a non-terminating error with a stable id' {
        $out = Get-AzFileSyncErrorInfo -Code 0xdeadbeef -ErrorVariable err -ErrorAction SilentlyContinue
        $out | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'AzFileSync.*'
        $err[0].ErrorDetails.RecommendedAction | Should -Not -BeNullOrEmpty
    }

    It 'diagnoses a snapshot offline; -Quiet returns one boolean' {
        $findings = Test-AzFileSyncManagedIdentity -SnapshotPath $sample
        $findings.Count | Should -BeGreaterThan 5
        $findings[0].PSObject.TypeNames[0] | Should -Be 'AzFileSync.ManagedIdentity.FileSyncFinding'
        $quiet = @(Test-AzFileSyncManagedIdentity -SnapshotPath $sample -Quiet)
        $quiet.Count | Should -Be 1
        $quiet[0] | Should -BeOfType [bool]
        $quiet[0] | Should -Be (-not ($findings.Status -contains 'fail'))
    }

    It 'says what to run when there is no Azure session' {
        { Test-AzFileSyncManagedIdentity -ResourceId '/subscriptions/6f1c2b7e-4a4d-4b1e-9a7c-2d5f0e8b9c31/resourceGroups/rg/providers/Microsoft.StorageSync/storageSyncServices/s' -ErrorAction Stop } |
            Should -Throw -ExpectedMessage '*Connect-AzAccount*'
    } -Skip:([bool](Get-Command Get-AzContext -ErrorAction Ignore))
}

Describe 'against the fake ARM' -Skip:(-not $FakeArm) {
    BeforeAll {
        $script:sub = '6f1c2b7e-4a4d-4b1e-9a7c-2d5f0e8b9c31'
        $script:serviceId = "/subscriptions/$sub/resourceGroups/rg-sync/providers/Microsoft.StorageSync/storageSyncServices/svc1"
        $dir = Join-Path ([System.IO.Path]::GetTempPath()) ("azfs-pester-" + [guid]::NewGuid().ToString('N'))
        New-Item -ItemType Directory $dir | Out-Null
        $script:log = Join-Path $dir 'requests.jsonl'
        $psi = [System.Diagnostics.ProcessStartInfo]::new($FakeArm, "--topology `"$(Join-Path $PSScriptRoot '../topology.json')`" --log `"$log`"")
        $psi.UseShellExecute = $false
        $psi.RedirectStandardInput = $true
        $psi.RedirectStandardOutput = $true
        $script:fake = [System.Diagnostics.Process]::Start($psi)
        $script:url = $fake.StandardOutput.ReadLine() -replace '^listening on ', ''
        # Stand-ins for Az.Accounts: the module finds them through InvokeCommand like the real cmdlets.
        $global:AzFsPesterUrl = $url
        $global:AzFsPesterSub = $sub
        function global:Get-AzContext {
            param($DefaultProfile)
            [pscustomobject]@{
                Account      = [pscustomobject]@{ Id = 'admin@contoso.com' }
                Subscription = [pscustomobject]@{ Id = $global:AzFsPesterSub }
                Tenant       = [pscustomobject]@{ Id = '72f988bf-0000-4000-8000-00000000fa4e' }
                Environment  = [pscustomobject]@{ Name = 'AzureCloud'; ResourceManagerUrl = "$global:AzFsPesterUrl/" }
            }
        }
        function global:Get-AzAccessToken {
            param($ResourceUrl, $DefaultProfile)
            [pscustomobject]@{ Token = (ConvertTo-SecureString 'tok-owner' -AsPlainText -Force); Type = 'Bearer' }
        }
        function Writes {
            if (-not (Test-Path $log)) { return 0 }
            @(Get-Content $log | ForEach-Object { $_ | ConvertFrom-Json } | Where-Object { $_.method -in 'PUT', 'PATCH', 'POST', 'DELETE' }).Count
        }
    }

    AfterAll {
        $fake.StandardInput.Close()
        if (-not $fake.WaitForExit(5000)) { $fake.Kill() }
        Remove-Item function:global:Get-AzContext, function:global:Get-AzAccessToken -ErrorAction SilentlyContinue
    }

    It 'binds an Az.StorageSync-shaped object by property name and diagnoses it read-only' {
        $svc = [pscustomobject]@{ ResourceId = $serviceId; ResourceGroupName = 'rg-sync'; StorageSyncServiceName = 'svc1'; UseIdentity = $true }
        $findings = $svc | Test-AzFileSyncManagedIdentity -Verbose 4>&1
        $verbose = $findings | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        $findings = $findings | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] }
        $findings.Count | Should -BeGreaterThan 0
        $findings.StorageSyncServiceName | Select-Object -Unique | Should -Be 'svc1'
        ($verbose.Message -match '^GET /subscriptions/.*request id').Count | Should -BeGreaterThan 0
        Writes | Should -Be 0
    }

    It 'Repair -WhatIf lists the changes and sends no write' {
        $out = Repair-AzFileSyncPermission -ResourceGroupName rg-sync -Name svc1 -WhatIf 6>&1
        $out | Where-Object { $_ -isnot [System.Management.Automation.InformationRecord] } | Should -BeNullOrEmpty
        Writes | Should -Be 0
    }

    It 'Enable -WhatIf sends no write either' {
        Enable-AzFileSyncManagedIdentity -ResourceId $serviceId -WhatIf | Should -BeNullOrEmpty
        Writes | Should -Be 0
    }

    It 'a missing service is an error with the ARM code as its id' {
        Test-AzFileSyncManagedIdentity -ResourceId ($serviceId -replace 'svc1$', 'nope') -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'AzFileSync.Arm.ResourceNotFound*'
        $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }
}
