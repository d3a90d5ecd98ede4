# The module as PowerShell sees it, without Azure: import, manifest, exported commands, help of every cmdlet
# and parameter, parameter binding, the format views, and the offline cmdlets (error codes, snapshots).
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
        'Compare-AzFileSyncSnapshot'
    )
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'Support.ps1')
    $script:manifestPath = Join-Path $ModulePath 'AzFileSync.ManagedIdentity.psd1'
    $script:azAccountsWasLoaded = [bool](Get-Module Az.Accounts)
    Import-Module $manifestPath -Force
    $script:module = Get-Module AzFileSync.ManagedIdentity
    $script:manifest = Import-PowerShellDataFile $manifestPath
}

AfterAll {
    Remove-Module AzFileSync.ManagedIdentity -ErrorAction SilentlyContinue
}

Describe 'the module' {
    It 'passes Test-ModuleManifest' {
        $m = Test-ModuleManifest $manifestPath -ErrorAction Stop
        $m.Name | Should -Be 'AzFileSync.ManagedIdentity'
        $m.Version | Should -Be ([version]$manifest.ModuleVersion)
        @($m.ExportedCmdlets.Keys | Sort-Object) | Should -Be @($manifest.CmdletsToExport | Sort-Object)
    }

    It 'words every failure the core can report for PowerShell: a category, and a next step unless there is none' {
        $asm = (Get-Command Test-AzFileSyncManagedIdentity).ImplementingType.Assembly
        $wording = $asm.GetType('AzFileSync.ManagedIdentity.Native.ErrorWording', $true)
        $results = $asm.GetType('AzFileSync.ManagedIdentity.Native.FsiResult', $true)
        $flags = [System.Reflection.BindingFlags]'Static,NonPublic'
        $category = { param($kind) $wording.GetMethod('Category', $flags).Invoke($null, @($kind)) }
        $action = { param($kind) $wording.GetMethod('RecommendedAction', $flags).Invoke($null, @($kind)) }
        foreach ($name in [enum]::GetNames($results)) {
            if ($name -in 'Ok', 'Cancelled') { (& $action $name) | Should -BeExactly '' -Because $name; continue }
            (& $action $name) | Should -Not -BeNullOrEmpty -Because $name
            if ($name -notin 'Internal', 'Panic') { (& $category $name) | Should -Not -Be 'NotSpecified' -Because $name }
        }
        # As the core names them in an error (PascalCase) and in a change result (camelCase).
        (& $category 'Authorization') | Should -Be 'PermissionDenied'
        (& $category 'authorization') | Should -Be 'PermissionDenied'
        (& $category 'InvalidInput') | Should -Be 'InvalidArgument'
        (& $category 'Cancelled') | Should -Be 'OperationStopped'
        (& $category 'Conflict') | Should -Be 'InvalidOperation'
        (& $action 'Authentication') | Should -BeLike '*Connect-AzAccount*'
        (& $category 'noSuchKind') | Should -Be 'NotSpecified'
    }

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

    It 'targets Desktop and Core from 5.1, and its DLL is netstandard2.0 with no third-party reference' {
        $manifest.CompatiblePSEditions | Should -Be @('Desktop', 'Core')
        $manifest.PowerShellVersion | Should -Be '5.1'
        $asm = [AzFileSync.ManagedIdentity.TestAzFileSyncManagedIdentityCommand].Assembly
        $framework = $asm.GetCustomAttributes([System.Runtime.Versioning.TargetFrameworkAttribute], $false)
        $framework.FrameworkName | Should -Be '.NETStandard,Version=v2.0'
        $refs = $asm.GetReferencedAssemblies().Name
        $refs | Should -Contain 'System.Management.Automation'
        $refs | Where-Object { $_ -notin 'netstandard', 'System.Management.Automation' } | Should -BeNullOrEmpty
        # PowerShell Standard's reference identity: the DLL binds to 5.1's SMA and to 7's.
        ($asm.GetReferencedAssemblies() | Where-Object Name -EQ 'System.Management.Automation').Version | Should -Be ([version]'3.0.0.0')
    }

    It 'loads the native library from linux-x64/ of the module folder' {
        $info = Get-AzFileSyncErrorInfo -Code 0x80c8305f
        $info.Name | Should -Be 'ECS_E_EXTERNAL_STORAGE_ACCOUNT_AUTHORIZATION_FAILED'
        $info.Decimal | Should -Be -2134364065
        $maps = Get-Content "/proc/$PID/maps" -ErrorAction SilentlyContinue
        if ($maps) { ($maps -match [regex]::Escape((Join-Path $ModulePath 'linux-x64/filesync_identity.so'))).Count | Should -BeGreaterThan 0 }
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
        foreach ($e in $help.Examples.Example) { $e.Code | Should -Match $name }
    }

    It 'documents every parameter' {
        foreach ($p in $command.Parameters.Keys | Where-Object { $_ -notin $common }) {
            $h = $help.Parameters.Parameter | Where-Object Name -EQ $p
            $h | Should -Not -BeNullOrEmpty -Because "-$p needs help"
            ($h.Description.Text -join '') | Should -Not -BeNullOrEmpty -Because "-$p needs a description"
            (Get-Help $name -Parameter $p).Name | Should -Be $p
        }
    }

    It 'documents no parameter that does not exist' {
        foreach ($h in $help.Parameters.Parameter) {
            ($h.Name -in $command.Parameters.Keys) | Should -BeTrue -Because "help documents -$($h.Name)"
        }
    }
}

Describe 'parameter binding' {
    It 'has named parameter sets with a default, and binds Az.StorageSync properties by name, never by type' {
        $c = Get-Command Test-AzFileSyncManagedIdentity
        @($c.ParameterSets.Name | Sort-Object) | Should -Be @('ByName', 'ByResourceId', 'ByScope', 'BySnapshot')
        $c.DefaultParameterSet | Should -Be 'ByName'
        # An object's Name is its own: the service's name binds from StorageSyncServiceName (issue 21).
        $c.Parameters['Name'].Aliases | Should -Not -Contain 'StorageSyncServiceName'
        ($c.Parameters['Name'].Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] }).ValueFromPipelineByPropertyName | Should -Not -Contain $true
        foreach ($p in 'ResourceGroupName', 'StorageSyncServiceName', 'ResourceId', 'SubscriptionId', 'SyncGroupName', 'TargetResourceId') {
            $attrs = $c.Parameters[$p].Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] }
            ($attrs.ValueFromPipelineByPropertyName -contains $true) | Should -BeTrue -Because "-$p binds by property name"
            ($attrs.ValueFromPipeline -contains $true) | Should -BeFalse -Because "-$p never binds by type"
        }
        # The default set takes every property a piped object carries (the binder binds only that set's).
        foreach ($p in 'ResourceGroupName', 'StorageSyncServiceName', 'ResourceId', 'SubscriptionId', 'TargetResourceId') {
            $c.Parameters[$p].ParameterSets.Keys | Should -Contain 'ByName'
        }
        foreach ($name in 'Repair-AzFileSyncPermission', 'Enable-AzFileSyncManagedIdentity', 'Export-AzFileSyncSnapshot') {
            (Get-Command $name).Parameters.Keys | Should -Not -Contain 'SyncGroupName' -Because "$name works on whole services"
        }
    }

    It 'refuses a missing mandatory parameter, an unknown one, and -WhatIf where nothing is changed' {
        { Test-AzFileSyncManagedIdentity -SnapshotPath $Sample -NoSuchParameter 1 } | Should -Throw -ErrorId 'NamedParameterNotFound,AzFileSync.ManagedIdentity.TestAzFileSyncManagedIdentityCommand'
        { Test-AzFileSyncManagedIdentity -SnapshotPath $Sample -WhatIf } | Should -Throw -ErrorId 'NamedParameterNotFound,AzFileSync.ManagedIdentity.TestAzFileSyncManagedIdentityCommand'
        { Export-AzFileSyncSnapshot -ResourceGroupName rg -Path $null } | Should -Throw -ErrorId 'ParameterArgumentValidationError,AzFileSync.ManagedIdentity.ExportAzFileSyncSnapshotCommand'
    }

    It 'refuses a piped object of the wrong kind with PowerShell''s own binding error' {
        { Get-Date | Test-AzFileSyncManagedIdentity -ErrorAction Stop } | Should -Throw -ErrorId 'InputObjectNotBound,AzFileSync.ManagedIdentity.TestAzFileSyncManagedIdentityCommand'
    }

    It 'a call that names nothing is one clear error, without a prompt (non-interactive hosts cannot answer one)' {
        Test-AzFileSyncManagedIdentity -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -Be 'AzFileSync.NoTarget,AzFileSync.ManagedIdentity.TestAzFileSyncManagedIdentityCommand'
        $err[0].ErrorDetails.RecommendedAction | Should -BeLike '*-ResourceGroupName*-ResourceId*'
        # A service's name without its resource group names nothing (an object's Name is its own, and
        # binds to nothing: PowerShell's own binding error).
        [pscustomobject]@{ StorageSyncServiceName = 'svc1' } | Repair-AzFileSyncPermission -ErrorVariable err2 -ErrorAction SilentlyContinue
        $err2[0].Exception.Message | Should -BeLike '*piped object names no Storage Sync Service*'
        { [pscustomobject]@{ Name = 'svc1' } | Repair-AzFileSyncPermission -ErrorAction Stop } | Should -Throw -ErrorId 'InputObjectNotBound,AzFileSync.ManagedIdentity.RepairAzFileSyncPermissionCommand'
    }
}

Describe 'Get-AzFileSyncErrorInfo' {
    It 'takes codes in any spelling, by value and by position' {
        $codes = '0x80c8305f', '-2134364065', '2160603231', '80C8305F', 'ECS_E_EXTERNAL_STORAGE_ACCOUNT_AUTHORIZATION_FAILED'
        $infos = $codes | Get-AzFileSyncErrorInfo
        $infos.Count | Should -Be 5
        $infos.Code | Select-Object -Unique | Should -Be '0x80c8305f'
        (Get-AzFileSyncErrorInfo 0x80c8305f).Code | Should -Be '0x80c8305f'
    }

    It 'takes an int (a LastSyncResult held in a variable) and a sync session''s LastSyncResult' {
        (-2134364065 | Get-AzFileSyncErrorInfo).Code | Should -Be '0x80c8305f'
        $session = New-AzSyncSessionStatusObject -LastSyncResult -2134364065
        $session.LastSyncResult.GetType() | Should -Be ([int])
        ($session | Get-AzFileSyncErrorInfo).Code | Should -Be '0x80c8305f'
        $ep = New-AzServerEndpointObject -UploadResult -2134364065
        ($ep.SyncStatus.UploadStatus, $ep.SyncStatus.DownloadStatus | Get-AzFileSyncErrorInfo).Name | Should -Be @('ECS_E_EXTERNAL_STORAGE_ACCOUNT_AUTHORIZATION_FAILED', 'S_OK')
    }

    It 'takes an exception''s HResult and an error record''s' {
        $e = [System.Runtime.InteropServices.COMException]::new('sync failed', -2134364065)
        ($e | Get-AzFileSyncErrorInfo).Code | Should -Be '0x80c8305f'
        $record = [System.Management.Automation.ErrorRecord]::new($e, 'x', 'NotSpecified', $null)
        ($record | Get-AzFileSyncErrorInfo).Code | Should -Be '0x80c8305f'
    }

    It 'says a session that never ran has no result, and an object without a code has none, as error records' {
        $none = New-AzSyncSessionStatusObject -LastSyncResult $null
        $none | Get-AzFileSyncErrorInfo -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -Be 'AzFileSync.NoErrorCode,AzFileSync.ManagedIdentity.GetAzFileSyncErrorInfoCommand'
        $err[0].Exception.Message | Should -BeLike '*PSSyncSessionStatus has no LastSyncResult: no sync session has run*'
        Get-Date | Get-AzFileSyncErrorInfo -ErrorVariable err2 -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err2[0].FullyQualifiedErrorId | Should -BeLike 'AzFileSync.NoErrorCode,*'
        $err2[0].ErrorDetails.RecommendedAction | Should -BeLike '*LastSyncResult*'
    }

    It 'an unknown code is a non-terminating error with a stable id, and the next code still runs' {
        $out = Get-AzFileSyncErrorInfo -Code 'nonsense', '0x80c8305f' -ErrorVariable err -ErrorAction SilentlyContinue
        $out.Code | Should -Be '0x80c8305f'
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'AzFileSync.*,AzFileSync.ManagedIdentity.GetAzFileSyncErrorInfoCommand'
        $err[0].TargetObject | Should -Be 'nonsense'
        $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
    }

    It 'explains the codes of findings piped in by their ErrorCodes' {
        $f = Test-AzFileSyncManagedIdentity -SnapshotPath $Sample | Where-Object { $_.ErrorCodes.Count -gt 0 } | Select-Object -First 1
        $f | Should -Not -BeNullOrEmpty
        @($f | Get-AzFileSyncErrorInfo).Count | Should -Be $f.ErrorCodes.Count
    }
}

Describe 'offline diagnosis of a snapshot' {
    It 'gives typed findings from a path relative to the current location, without any Az call' {
        Push-Location (Split-Path $Sample)
        try {
            $findings = Test-AzFileSyncManagedIdentity -SnapshotPath (Split-Path $Sample -Leaf)
        } finally { Pop-Location }
        $findings.Count | Should -BeGreaterThan 10
        $findings[0].GetType().FullName | Should -Be 'AzFileSync.ManagedIdentity.FileSyncFinding'
        $findings.Status | Should -Contain 'fail'
        $findings[0].StorageSyncServiceName | Should -Not -BeNullOrEmpty
    }

    It 'narrows to one sync group with -SyncGroupName' {
        $all = Test-AzFileSyncManagedIdentity -SnapshotPath $Sample
        $finance = Test-AzFileSyncManagedIdentity -SnapshotPath $Sample -SyncGroupName finance
        $finance.Count | Should -BeLessThan $all.Count
        $finance.ResourceId | Where-Object { $_ -match '/syncGroups/(engineering|archive)' } | Should -BeNullOrEmpty
        { Test-AzFileSyncManagedIdentity -SnapshotPath $Sample -SyncGroupName payroll -ErrorAction Stop } | Should -Throw '*no sync group*payroll*'
    }

    It '-Quiet returns exactly one boolean: false when a check failed' {
        $quiet = @(Test-AzFileSyncManagedIdentity -SnapshotPath $Sample -Quiet)
        $quiet.Count | Should -Be 1
        $quiet[0] | Should -BeOfType [bool]
        $quiet[0] | Should -BeFalse
    }

    It 'numbers the root cause of each problem finding, as the command line''s table does' {
        $findings = Test-AzFileSyncManagedIdentity -SnapshotPath $Sample
        $problems = $findings | Where-Object Status -In 'fail', 'warning', 'unknown'
        $problems.Cause | Should -Not -Contain $null
        ($findings | Where-Object Status -EQ 'pass').Cause | Where-Object { $null -ne $_ } | Should -BeNullOrEmpty
        # The role at the wrong scope, the missing role and the live error are one cause.
        $wrong = $findings | Where-Object { $_.Check -eq 'role.wrong-share-scope' -and $_.Status -eq 'fail' }
        @($findings | Where-Object Cause -EQ $wrong.Cause).Count | Should -Be 3
        # Ten since issue 20: the legacy role is informational in identity mode, no longer a cause.
        ($problems.Cause | Sort-Object -Unique).Count | Should -Be 10
    }

    It '-Check selects checks' {
        $some = Test-AzFileSyncManagedIdentity -SnapshotPath $Sample -Check 'service.identity'
        $some.Check | Select-Object -Unique | Should -Be 'service.identity'
    }

    It 'a bad snapshot path is an error record with the path as target, not a crash; -Quiet then says false' {
        $missing = Join-Path $TestDrive 'missing.json'
        Test-AzFileSyncManagedIdentity -SnapshotPath $missing -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'AzFileSync.*,AzFileSync.ManagedIdentity.TestAzFileSyncManagedIdentityCommand'
        $err[0].TargetObject | Should -Be $missing
        Set-Content (Join-Path $TestDrive 'corrupt.json') '{"schemaVersion": 1, "services": ['
        Test-AzFileSyncManagedIdentity -SnapshotPath (Join-Path $TestDrive 'corrupt.json') -Quiet -ErrorAction SilentlyContinue | Should -BeFalse
    }
}

Describe 'Compare-AzFileSyncSnapshot offline' {
    It 'has a path set (default, positional) and an object set' {
        $c = Get-Command Compare-AzFileSyncSnapshot
        @($c.ParameterSets.Name | Sort-Object) | Should -Be @('ByObject', 'ByPath')
        $c.DefaultParameterSet | Should -Be 'ByPath'
        $c.Parameters['ReferencePath'].Attributes.Position | Should -Contain 0
        $c.Parameters['DifferencePath'].Attributes.Position | Should -Contain 1
    }

    It 'a snapshot against itself moved nothing; a changed setting is one Setting change with both values' {
        @(Compare-AzFileSyncSnapshot $Sample $Sample).Count | Should -Be 0
        $new = Get-Content $Sample -Raw | ConvertFrom-Json
        $account = @($new.storageAccounts | Where-Object { $_.read -ne $false })[0]
        $turned = $account.allowSharedKeyAccess -eq $false
        $account | Add-Member -NotePropertyName allowSharedKeyAccess -NotePropertyValue $turned -Force
        $path = Join-Path $TestDrive 'changed.json'
        $new | ConvertTo-Json -Depth 64 | Set-Content $path
        $changes = @(Compare-AzFileSyncSnapshot $Sample $path | Where-Object Area -eq 'Setting')
        $changes.Count | Should -Be 1
        $changes[0].Field | Should -Be 'allowSharedKeyAccess'
        $changes[0].NewValue | Should -Be $turned.ToString().ToLowerInvariant()
        $changes[0].ResourceName | Should -Be $account.name
        $byObject = @(Compare-AzFileSyncSnapshot -ReferenceSnapshot (Get-Content $Sample -Raw | ConvertFrom-Json) -DifferenceSnapshot $new | Where-Object Area -eq 'Setting')
        $byObject.Count | Should -Be 1
    }

    It 'a file that is not a snapshot is a terminating error that says what it is' {
        $path = Join-Path $TestDrive 'report.json'
        Test-AzFileSyncManagedIdentity -SnapshotPath $Sample | Select-Object -First 1 | ConvertTo-Json | Set-Content $path
        { Compare-AzFileSyncSnapshot $Sample $path } | Should -Throw
    }
}

Describe 'format views' {
    It 'shows findings as a table grouped by check, with status, resource and message' {
        $text = Test-AzFileSyncManagedIdentity -SnapshotPath $Sample | Select-Object -First 5 | Out-String -Width 200
        $text | Should -Match 'Check: service\.identity'
        $text | Should -Match 'Cause\s+Status\s+Resource\s+Message'
        $text | Should -Match 'Fail|Pass|Warning'
    }

    It 'shows a finding as a list with its fix and evidence' {
        $f = Test-AzFileSyncManagedIdentity -SnapshotPath $Sample | Where-Object Status -EQ 'fail' | Select-Object -First 1
        $text = $f | Format-List | Out-String -Width 200
        $text | Should -Match 'Remediation'
        $text | Should -Match $f.Check
    }

    It 'shows an error code as a list' {
        $text = Get-AzFileSyncErrorInfo 0x80c8305f | Out-String -Width 200
        $text | Should -Match '0x80c8305f'
        $text | Should -Match 'ECS_E_EXTERNAL_STORAGE_ACCOUNT_AUTHORIZATION_FAILED'
    }

    It 'serializes findings for other tools (ConvertTo-Json, Export-Clixml round trip)' {
        $f = Test-AzFileSyncManagedIdentity -SnapshotPath $Sample | Where-Object Status -EQ 'fail' | Select-Object -First 1
        $json = $f | ConvertTo-Json -Depth 5 | ConvertFrom-Json
        $json.Check | Should -Be $f.Check
        $json.ErrorCodes | Should -Be $f.ErrorCodes
        $xml = Join-Path $TestDrive 'f.xml'
        $f | Export-Clixml $xml
        (Import-Clixml $xml).Message | Should -Be $f.Message
    }
}
