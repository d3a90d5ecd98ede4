# Every cmdlet against the project's fake ARM on loopback, with Az.Accounts stood in by functions that return
# its real types, and Az.StorageSync objects of their real types piped in.
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [string] $FakeArm
)

BeforeAll {
    . (Join-Path $PSScriptRoot 'Support.ps1')
    if (-not $FakeArm) { throw 'these tests need -FakeArm (the fake-arm binary of tests/fake-arm)' }
    Import-Module (Join-Path $ModulePath 'AzFileSync.ManagedIdentity.psd1') -Force
    $script:fake = Start-FakeArm
    Install-AzStandIn -Url $fake.Url
}

AfterAll {
    Stop-FakeArm $fake
    Remove-AzStandIn
    Remove-Module AzFileSync.ManagedIdentity -ErrorAction SilentlyContinue
}

Describe 'Test-AzFileSyncManagedIdentity against the fake ARM' {
    BeforeEach {
        Clear-ArmLog $fake
        Install-AzStandIn -Url $fake.Url
    }

    It 'diagnoses a service by name, read-only, with a verbose line per request' {
        $out = Test-AzFileSyncManagedIdentity -ResourceGroupName rg-sync -Name svc1 -Verbose 4>&1
        $verbose = @($out | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] })
        $findings = @($out | Where-Object { $_ -is [AzFileSync.ManagedIdentity.FileSyncFinding] })
        $findings.Count | Should -BeGreaterThan 0
        $findings.StorageSyncServiceName | Select-Object -Unique | Should -Be 'svc1'
        ($verbose.Message -match '^GET /subscriptions/.*request id').Count | Should -BeGreaterThan 0
        (Get-ArmWrite $fake).Count | Should -Be 0
        # Every request went to the fake: the context's ARM URL was used.
        (Get-ArmRequest $fake).Count | Should -BeGreaterThan 0
    }

    It 'binds a PSStorageSyncService by property name' {
        $svc = New-AzStorageSyncServiceObject
        $findings = $svc | Test-AzFileSyncManagedIdentity
        $findings.Count | Should -BeGreaterThan 0
        $findings.StorageSyncServiceName | Select-Object -Unique | Should -Be 'svc1'
    }

    It 'N servers of one service are one diagnosis, not N' {
        $servers = @(
            New-AzRegisteredServerObject -ServerId '44444444-4444-4444-8444-444444444444' -Name srv1
            New-AzRegisteredServerObject -ServerId '44444444-4444-4444-8444-444444444445' -Name srv2
        )
        $once = Test-AzFileSyncManagedIdentity -ResourceGroupName rg-sync -Name svc1
        Clear-ArmLog $fake
        $piped = $servers | Test-AzFileSyncManagedIdentity
        $piped.Count | Should -Be $once.Count
        # One read of the service itself, as for one diagnosis.
        $serviceGets = @(Get-ArmRequest $fake | Where-Object { $_.method -eq 'GET' -and $_.path -match '/storageSyncServices/svc1$' })
        $serviceGets.Count | Should -Be 1
    }

    It 'takes the subscription of a piped object from its ResourceId, not from the context' {
        # svc9 lives in another subscription than the context's.
        $global:AzStandIn.Subscription | Should -Be $Sub
        $findings = New-AzStorageSyncServiceObject -Id $OtherServiceId | Test-AzFileSyncManagedIdentity
        $findings.Count | Should -BeGreaterThan 0
        $findings.SubscriptionId | Select-Object -Unique | Should -Be $OtherSub
        (Get-ArmRequest $fake | Where-Object { $_.path -like "/subscriptions/$Sub/*storageSyncServices*" }) | Should -BeNullOrEmpty
    }

    It 'narrows the report to the sync group of a piped sync group, cloud endpoint or server endpoint' {
        $all = Test-AzFileSyncManagedIdentity -ResourceId $ServiceId
        $sg2 = New-AzSyncGroupObject -Name sg2 | Test-AzFileSyncManagedIdentity
        $sg2.Count | Should -BeLessThan $all.Count
        $sg2.ResourceId | Where-Object { $_ -match '/syncGroups/sg1(/|$)' } | Should -BeNullOrEmpty
        $sg2.ResourceId | Where-Object { $_ -match '/syncGroups/sg2(/|$)' } | Should -Not -BeNullOrEmpty
        $viaEndpoint = New-AzServerEndpointObject -SyncGroup sg2 | Test-AzFileSyncManagedIdentity
        $viaEndpoint.Count | Should -Be $sg2.Count
        # Two groups of one service: one diagnosis narrowed to both; the service piped too: the whole report.
        $both = @((New-AzSyncGroupObject -Name sg1), (New-AzSyncGroupObject -Name sg2)) | Test-AzFileSyncManagedIdentity
        $both.Count | Should -BeGreaterThan $sg2.Count
        $whole = @((New-AzSyncGroupObject -Name sg1), (New-AzStorageSyncServiceObject)) | Test-AzFileSyncManagedIdentity
        $whole.Count | Should -Be $all.Count
    }

    It 'works with Az.Accounts before 5 (string token) as with 5 (SecureString), and forwards -DefaultProfile' {
        Install-AzStandIn -Url $fake.Url -TokenType String
        $profile = [pscustomobject]@{ Name = 'my-profile' }
        (Test-AzFileSyncManagedIdentity -ResourceId $ServiceId -DefaultProfile $profile).Count | Should -BeGreaterThan 0
        $calls = @($global:AzStandInCalls)
        ($calls | Where-Object Command -EQ 'Get-AzAccessToken').Count | Should -BeGreaterThan 0
        foreach ($c in $calls) { $c.Parameters['DefaultProfile'].Name | Should -Be 'my-profile' -Because "$($c.Command) gets -DefaultProfile" }
        $armToken = $calls | Where-Object { $_.Command -eq 'Get-AzAccessToken' -and $_.Parameters.ResourceUrl }
        $armToken.Parameters.ResourceUrl | Should -Be "$($fake.Url)/"
    }

    It 'forwards a Microsoft Graph token, so the Microsoft.StorageSync service principal is looked up' {
        $path = Join-Path $TestDrive 'graph.json'
        $null = Export-AzFileSyncSnapshot -ResourceId $ServiceId -Path $path
        ($global:AzStandInCalls | Where-Object { $_.Command -eq 'Get-AzAccessToken' -and $_.Parameters.ResourceTypeName -eq 'MSGraph' }) | Should -Not -BeNullOrEmpty
        # The one lookup by appId (each server's machine is looked up by object id besides).
        $graph = @(Get-ArmRequest $fake | Where-Object { $_.path -eq '/v1.0/servicePrincipals' })
        $graph.Count | Should -Be 1
        $graph[0].status | Should -Be 200
        $snapshot = Get-Content $path -Raw | ConvertFrom-Json
        $snapshot.storageSyncPrincipalSource | Should -Be 'graph'
        $snapshot.storageSyncPrincipalId | Should -Be '88888888-8888-4888-8888-888888888888'
    }

    It 'without a Graph token, never sends the ARM token to Graph, and says why on the verbose stream' {
        Install-AzStandIn -Url $fake.Url -GraphToken ''
        $path = Join-Path $TestDrive 'nograph.json'
        $out = Export-AzFileSyncSnapshot -ResourceId $ServiceId -Path $path -Verbose 4>&1
        ($out | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -like 'No Microsoft Graph token*' }) | Should -Not -BeNullOrEmpty
        (Get-ArmRequest $fake | Where-Object { $_.path -like '/v1.0/*' }) | Should -BeNullOrEmpty
        (Get-Content $path -Raw | ConvertFrom-Json).storageSyncPrincipalSource | Should -BeLike 'unknown*'
    }

    It '-AccessToken is used as given (no Get-AzAccessToken); a token without rights is a PermissionDenied error record' {
        $token = ConvertTo-SecureString 'tok-norights' -AsPlainText -Force
        Test-AzFileSyncManagedIdentity -ResourceId $ServiceId -AccessToken $token -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        ($global:AzStandInCalls | Where-Object Command -EQ 'Get-AzAccessToken') | Should -BeNullOrEmpty
        $err[0].CategoryInfo.Category | Should -Be 'PermissionDenied'
        $err[0].FullyQualifiedErrorId | Should -BeLike 'AzFileSync.Arm.AuthorizationFailed,*'
        $err[0].TargetObject | Should -Be $ServiceId
    }

    It 'a missing service is an ObjectNotFound error with the ARM code as its id and the service id as target' {
        $missing = $ServiceId -replace 'svc1$', 'nope'
        Test-AzFileSyncManagedIdentity -ResourceId $missing -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'AzFileSync.Arm.ResourceNotFound,*'
        $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $err[0].TargetObject | Should -Be $missing
        $err[0].TargetObject | Should -BeOfType [string]
        { Test-AzFileSyncManagedIdentity -ResourceId $missing -ErrorAction Stop } | Should -Throw -ErrorId 'AzFileSync.Arm.ResourceNotFound,AzFileSync.ManagedIdentity.TestAzFileSyncManagedIdentityCommand'
    }

    It '-Quiet is false when a check could not decide (unknown), not only when one failed' {
        # This caller may read the service but not its storage accounts: the account checks cannot decide.
        $token = ConvertTo-SecureString 'tok-syncreader' -AsPlainText -Force
        $findings = Test-AzFileSyncManagedIdentity -ResourceId $ServiceId -AccessToken $token -Check storage.shared-key-access
        $findings.Status | Select-Object -Unique | Should -Be 'unknown'
        Test-AzFileSyncManagedIdentity -ResourceId $ServiceId -AccessToken $token -Check storage.shared-key-access -Quiet | Should -BeFalse
    }

    It 'a resource group without a Storage Sync Service is never healthy: a warning, and -Quiet is false' {
        Test-AzFileSyncManagedIdentity -ResourceGroupName rg-empty -WarningVariable warn -WarningAction SilentlyContinue | Should -BeNullOrEmpty
        $warn[0].Message | Should -BeLike 'Nothing was checked*rg-empty*'
        Test-AzFileSyncManagedIdentity -ResourceGroupName rg-empty -Quiet -WarningAction SilentlyContinue | Should -BeFalse
    }

    It '-Quiet with no input at all is false: nothing was looked at' {
        @() | Test-AzFileSyncManagedIdentity -Quiet | Should -BeFalse
    }

    It 'a malformed resource id is an InvalidArgument error that names it' {
        Test-AzFileSyncManagedIdentity -ResourceId '/subscriptions/nope' -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err[0].TargetObject | Should -Be '/subscriptions/nope'
        (Get-ArmRequest $fake).Count | Should -Be 0
    }

    It 'no subscription anywhere is one clear error per object, naming what to give' {
        Install-AzStandIn -Url $fake.Url -Subscription ''
        Test-AzFileSyncManagedIdentity -ResourceGroupName rg-sync -Name svc1 -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].ErrorDetails.RecommendedAction | Should -BeLike '*-SubscriptionId*'
        $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
    }
}

Describe 'signing in' {
    BeforeEach { Clear-ArmLog $fake }
    AfterEach { Install-AzStandIn -Url $fake.Url }

    It 'without Az.Accounts: one terminating error that says what to run' {
        Remove-AzStandIn
        { Test-AzFileSyncManagedIdentity -ResourceId $ServiceId -ErrorAction Stop } | Should -Throw -ErrorId 'AzFileSync.AzAccountsMissing,AzFileSync.ManagedIdentity.TestAzFileSyncManagedIdentityCommand'
    }

    It 'not connected: one terminating error that says Connect-AzAccount' {
        Install-AzStandIn -Url $fake.Url -NoAccount
        { Test-AzFileSyncManagedIdentity -ResourceId $ServiceId } | Should -Throw '*Connect-AzAccount*'
    }

    It 'a token ARM rejects (401) is an AuthenticationError that says to sign in again' {
        $token = ConvertTo-SecureString 'tok-nobody-issued-this' -AsPlainText -Force
        Test-AzFileSyncManagedIdentity -ResourceId $ServiceId -AccessToken $token -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].CategoryInfo.Category | Should -Be 'AuthenticationError'
        $err[0].FullyQualifiedErrorId | Should -BeLike 'AzFileSync.Arm.InvalidAuthenticationToken,*'
        $err[0].ErrorDetails.RecommendedAction | Should -BeLike '*Connect-AzAccount*'
    }

    It 'an expired session (Get-AzAccessToken fails) says to sign in again' {
        Install-AzStandIn -Url $fake.Url -Token ''
        { Test-AzFileSyncManagedIdentity -ResourceId $ServiceId -ErrorAction Stop } | Should -Throw -ErrorId 'AzFileSync.TokenUnavailable,AzFileSync.ManagedIdentity.TestAzFileSyncManagedIdentityCommand'
    }

    It 'a session that cannot be opened is a terminating error with a stable id' {
        Install-AzStandIn -Url 'http://example.com'
        { Test-AzFileSyncManagedIdentity -ResourceId $ServiceId -ErrorAction Stop } | Should -Throw -ErrorId 'AzFileSync.InvalidInput,AzFileSync.ManagedIdentity.TestAzFileSyncManagedIdentityCommand'
    }
}

Describe 'Repair-AzFileSyncPermission and Enable-AzFileSyncManagedIdentity' {
    BeforeEach {
        Clear-ArmLog $fake
        Install-AzStandIn -Url $fake.Url
    }

    It 'Repair -WhatIf lists each change and sends no write' {
        $out = Repair-AzFileSyncPermission -ResourceGroupName rg-sync -Name svc1 -WhatIf 6>&1
        $out | Where-Object { $_ -isnot [System.Management.Automation.InformationRecord] } | Should -BeNullOrEmpty
        (Get-ArmWrite $fake).Count | Should -Be 0
    }

    It 'Enable -WhatIf sends no write either, and asks nothing' {
        Enable-AzFileSyncManagedIdentity -ResourceId $ServiceId -WhatIf | Should -BeNullOrEmpty
        (Get-ArmWrite $fake).Count | Should -Be 0
    }

    It 'Enable without -Force in a session that cannot ask stops before any write, saying to use -Force' {
        # This pwsh runs -NonInteractive (run.sh), as Azure Automation does.
        [Environment]::GetCommandLineArgs() | Should -Contain '-NonInteractive'
        { Enable-AzFileSyncManagedIdentity -ResourceId $ServiceId -ErrorAction Stop } | Should -Throw -ErrorId 'AzFileSync.ConfirmationRequired,AzFileSync.ManagedIdentity.EnableAzFileSyncManagedIdentityCommand'
        (Get-ArmWrite $fake).Count | Should -Be 0
    }

    It 'findings of a resource-group diagnosis pipe into Repair, and each target is planned once' {
        $findings = Test-AzFileSyncManagedIdentity -ResourceGroupName rg-sync
        $findings.StorageSyncServiceName | Select-Object -Unique | Should -BeNullOrEmpty
        Clear-ArmLog $fake
        $findings | Repair-AzFileSyncPermission -WhatIf
        $plans = @(Get-ArmRequest $fake | Where-Object { $_.method -eq 'GET' -and $_.path -match '/resourceGroups/rg-sync/providers/Microsoft.StorageSync/storageSyncServices$' })
        $plans.Count | Should -Be 1
        (Get-ArmWrite $fake).Count | Should -Be 0
    }

    It 'Repair applies the changes and writes one result per change; a second run changes nothing' {
        $results = Repair-AzFileSyncPermission -ResourceId $OtherServiceId -Confirm:$false
        $results.Count | Should -BeGreaterThan 0
        $results[0].GetType().FullName | Should -Be 'AzFileSync.ManagedIdentity.FileSyncChangeResult'
        $results.Status | Select-Object -Unique | Should -Be 'created'
        $writes = (Get-ArmWrite $fake).Count
        $writes | Should -Be $results.Count
        (Repair-AzFileSyncPermission -ResourceId $OtherServiceId -Confirm:$false -WarningAction SilentlyContinue) | Should -BeNullOrEmpty
        (Get-ArmWrite $fake).Count | Should -Be $writes
        $text = $results | Out-String -Width 200
        $text | Should -Match 'Status\s+Change\s+Message'
        $text | Should -Match 'created'
        # Fits 80 columns, and no word of a change's description is cut.
        $narrow = $results | Out-String -Width 80
        ($narrow -split "`r?`n" | Where-Object { $_.Length -gt 80 }) | Should -BeNullOrEmpty
        $words = [System.Collections.Generic.HashSet[string]]::new([string[]]@($narrow -split '\s+' | Where-Object { $_ }))
        foreach ($w in ($results.Description -split '\s+' | Where-Object { $_ })) { $words.Contains($w) | Should -BeTrue -Because $w }
    }

    It 'a plan whose every change would be refused is one PermissionDenied error on the service, and writes nothing' {
        $token = ConvertTo-SecureString 'tok-reader' -AsPlainText -Force
        Repair-AzFileSyncPermission -ResourceId $ServiceId -AccessToken $token -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue -WarningAction SilentlyContinue |
            Should -BeNullOrEmpty
        $err.Count | Should -Be 1
        $err[0].CategoryInfo.Category | Should -Be 'PermissionDenied'
        $err[0].TargetObject | Should -Be $ServiceId
        (Get-ArmWrite $fake).Count | Should -Be 0
    }

    It 'a change refused by ARM is a result and an error record with its ARM code, category and resource' {
        # Its own fake: this test writes. The caller may grant roles on sa1 only.
        $own = Start-FakeArm
        Install-AzStandIn -Url $own.Url
        try {
            $token = ConvertTo-SecureString 'tok-partial' -AsPlainText -Force
            $results = Repair-AzFileSyncPermission -ResourceId $ServiceId -AccessToken $token -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
            $failed = @($results | Where-Object Status -EQ 'failed')
            $created = @($results | Where-Object Status -EQ 'created')
            $failed.Count | Should -BeGreaterThan 0
            $created.Count | Should -BeGreaterThan 0
            $created.Target | Where-Object { $_ -notmatch '/storageAccounts/sa1(/|$)' } | Should -BeNullOrEmpty
            $err.Count | Should -Be $failed.Count
            $err[0].FullyQualifiedErrorId | Should -Be 'AzFileSync.Arm.AuthorizationFailed,AzFileSync.ManagedIdentity.RepairAzFileSyncPermissionCommand'
            $err[0].CategoryInfo.Category | Should -Be 'PermissionDenied'
            $err[0].TargetObject | Should -BeOfType [string]
            $err[0].TargetObject | Should -Be $failed[0].Target
            $err[0].TargetObject | Should -Match '/storageAccounts/sa2(/|$)'
            (Get-ArmWrite $own).Count | Should -Be $created.Count
            (Get-ArmWrite $fake).Count | Should -Be 0
        } finally {
            Stop-FakeArm $own
            Install-AzStandIn -Url $fake.Url
        }
    }
}

Describe 'Export-AzFileSyncSnapshot' {
    BeforeEach {
        Clear-ArmLog $fake
        Install-AzStandIn -Url $fake.Url
    }

    It 'writes a snapshot (relative path) that Test -SnapshotPath reads offline' {
        Push-Location $TestDrive
        try {
            $file = Export-AzFileSyncSnapshot -ResourceId $ServiceId -Path 'snap.json'
        } finally { Pop-Location }
        $file | Should -BeOfType [AzFileSync.ManagedIdentity.FileSyncSnapshotInfo]
        $file.Path | Should -Be (Join-Path $TestDrive 'snap.json')
        $live = Test-AzFileSyncManagedIdentity -ResourceId $ServiceId
        Clear-ArmLog $fake
        $offline = Test-AzFileSyncManagedIdentity -SnapshotPath $file.Path
        (Get-ArmRequest $fake).Count | Should -Be 0
        $offline.Count | Should -Be $live.Count
    }

    It 'objects of one service write one snapshot; objects of two services write none and say why' {
        $path = Join-Path $TestDrive 'one.json'
        $one = @((New-AzRegisteredServerObject), (New-AzSyncGroupObject -Name sg2)) | Export-AzFileSyncSnapshot -Path $path
        @($one).Count | Should -Be 1
        $two = Join-Path $TestDrive 'two.json'
        { @((New-AzStorageSyncServiceObject), (New-AzStorageSyncServiceObject -Id $OtherServiceId)) | Export-AzFileSyncSnapshot -Path $two -ErrorAction Stop } |
            Should -Throw -ErrorId 'AzFileSync.SeveralTargets,AzFileSync.ManagedIdentity.ExportAzFileSyncSnapshotCommand'
        Test-Path $two | Should -BeFalse
    }

    It 'a folder that does not exist fails before any request' {
        Export-AzFileSyncSnapshot -ResourceId $ServiceId -Path (Join-Path $TestDrive 'no/such/folder.json') -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].Exception.Message | Should -BeLike '*does not exist*'
        (Get-ArmRequest $fake).Count | Should -Be 0
    }
}

Describe 'who changed it, and Compare-AzFileSyncSnapshot' {
    BeforeAll {
        $script:shareScope = "/subscriptions/$Sub/resourceGroups/rg-sync/providers/Microsoft.Storage/storageAccounts/sa1/fileServices/default/fileshares/share1"
        $script:raName = '7e57ab1e-0000-4000-8000-000000000016'
        $script:raUri = "$($fake.Url)$shareScope/providers/Microsoft.Authorization/roleAssignments/$($raName)?api-version=2022-04-01"
        $script:headers = @{ Authorization = 'Bearer tok-owner' }
        $body = @{ properties = @{
            roleDefinitionId = "/subscriptions/$Sub/providers/Microsoft.Authorization/roleDefinitions/69566ab7-960f-475b-8e7c-b3118f30c6bd"
            principalId = '22222222-2222-4222-8222-222222222222'; principalType = 'ServicePrincipal' } } | ConvertTo-Json
        Invoke-RestMethod -Method Put -Uri $raUri -Headers $headers -Body $body -ContentType 'application/json' | Out-Null
        Install-AzStandIn -Url $fake.Url
        $script:before = Join-Path $TestDrive 'before.json'
        Export-AzFileSyncSnapshot -ResourceId $ServiceId -Path $before | Out-Null
        # Last night: the service's share role is removed.
        Invoke-RestMethod -Method Delete -Uri $raUri -Headers $headers | Out-Null
        $script:after = Join-Path $TestDrive 'after.json'
        Export-AzFileSyncSnapshot -ResourceId $ServiceId -Path $after | Out-Null
    }

    BeforeEach {
        Clear-ArmLog $fake
        Install-AzStandIn -Url $fake.Url
    }

    It 'the failing finding names who removed the role and when, live, in the table and offline' {
        $role = @(Test-AzFileSyncManagedIdentity -ResourceId $ServiceId |
            Where-Object { $_.Check -eq 'cloud-endpoint.service-share-role' -and $_.Status -eq 'fail' -and $_.ResourceName -like 'share1*' })
        $role.Count | Should -Be 1
        $role[0].ChangedBy | Should -Be 'owner@contoso.com'
        $role[0].ChangedAt | Should -BeOfType [datetime]
        ([datetime]::UtcNow - $role[0].ChangedAt).TotalMinutes | Should -BeLessThan 10
        $role[0].ChangeOperation | Should -Be 'Microsoft.Authorization/roleAssignments/delete'
        $role[0].Message | Should -BeLike '*removed by owner@contoso.com on *'
        ($role | Format-List | Out-String -Width 250) | Should -BeLike '*ChangedBy*: owner@contoso.com*ChangedAt*: 20*UTC*'
        # The Activity Log event the finding names, as an object.
        $role[0].Evidence.ActivityLog.Caller | Should -Be 'owner@contoso.com'
        $role[0].Evidence.ActivityLog.OperationName | Should -Be 'Microsoft.Authorization/roleAssignments/delete'
        (Get-ArmRequest $fake | Where-Object { $_.path -like '*eventtypes/management/values' }).Count | Should -BeGreaterThan 0
        $offline = @(Test-AzFileSyncManagedIdentity -SnapshotPath $after |
            Where-Object { $_.Check -eq 'cloud-endpoint.service-share-role' -and $_.ResourceName -like 'share1*' })
        $offline[0].ChangedBy | Should -Be 'owner@contoso.com'
        $offline[0].Message | Should -Be $role[0].Message
    }

    It '-ActivityDays 0 reads no Activity Log and names nobody; the verdict is the same' {
        $role = @(Test-AzFileSyncManagedIdentity -ResourceId $ServiceId -ActivityDays 0 |
            Where-Object { $_.Check -eq 'cloud-endpoint.service-share-role' -and $_.ResourceName -like 'share1*' })
        $role[0].Status | Should -Be 'fail'
        $role[0].ChangedBy | Should -BeNullOrEmpty
        (Get-ArmRequest $fake | Where-Object { $_.path -like '*eventtypes*' }).Count | Should -Be 0
        { Test-AzFileSyncManagedIdentity -ResourceId $ServiceId -ActivityDays 91 } | Should -Throw
    }

    It 'lists the removed assignment and the findings it turned, by path or by object' {
        $changes = @(Compare-AzFileSyncSnapshot $before $after)
        $roles = @($changes | Where-Object Area -eq 'RoleAssignment')
        $roles.Count | Should -Be 1
        $roles[0].Change | Should -Be 'removed'
        $roles[0].PrincipalId | Should -Be '22222222-2222-4222-8222-222222222222'
        $roles[0].Scope | Should -Be $shareScope
        @($changes | Where-Object Area -eq 'Setting').Count | Should -Be 0
        @($changes | Where-Object { $_.Area -eq 'Finding' -and $_.OldValue -eq 'pass' -and $_.NewValue -eq 'fail' }).Count | Should -BeGreaterThan 0
        ($changes | Format-Table | Out-String -Width 250) | Should -BeLike '*RoleAssignment*removed*'
        $byObject = @(Compare-AzFileSyncSnapshot -ReferenceSnapshot (Get-Content $before -Raw | ConvertFrom-Json) -DifferenceSnapshot (Get-Content $after -Raw | ConvertFrom-Json))
        $byObject.Count | Should -Be $changes.Count
        @(Compare-AzFileSyncSnapshot $after $after).Count | Should -Be 0
    }

    It 'refuses two different deployments, naming both' {
        $other = Join-Path $TestDrive 'other.json'
        Export-AzFileSyncSnapshot -ResourceId $OtherServiceId -Path $other | Out-Null
        { Compare-AzFileSyncSnapshot $before $other -ErrorAction Stop } | Should -Throw '*different deployments*svc1*svc9*'
    }
}
