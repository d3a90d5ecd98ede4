# Many services in one run (issue 23): -ManagementGroupName, -AllSubscriptions and several -SubscriptionId
# against the fake ARM's Resource Graph, with a management group of three subscriptions, one of which the
# caller cannot read (as tests/tenant.rs builds it).
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [string] $FakeArm
)

BeforeAll {
    . (Join-Path $PSScriptRoot 'Support.ps1')
    if (-not $FakeArm) { throw 'these tests need -FakeArm (the fake-arm binary of tests/fake-arm)' }
    Import-Module (Join-Path $ModulePath 'AzFileSync.ManagedIdentity.psd1') -Force
    $script:SubC = '4d6a8c0e-3f5b-4c7d-9e9f-2a3b4c5d6e7f'
    $script:Mg = 'mg-files'
    $mgReader = '99999999-0000-4000-8000-000000000001'
    # The module's topology (svc1 in $Sub, svc9 in $OtherSub, the caller Owner of both), plus svc-c in a third
    # subscription the caller has no role in, all three under one management group whose tree the caller
    # may list (a role that reads management groups and nothing else, so it reads no subscription).
    $t = Get-Content (Join-Path $PSScriptRoot '../topology.json') -Raw | ConvertFrom-Json
    $t.storageSyncServices += [pscustomobject]@{ subscriptionId = $SubC; resourceGroup = 'rg-c'; name = 'svc-c'; location = 'westus' }
    $t | Add-Member managementGroups @([pscustomobject]@{ name = $Mg; subscriptions = @($Sub, $OtherSub, $SubC) })
    $t | Add-Member roleDefinitions @([pscustomobject]@{
            id = $mgReader; roleName = 'Management Group Reader'; description = 'Read management groups'
            actions = @('Microsoft.Management/managementGroups/read', 'Microsoft.Management/managementGroups/descendants/read')
        })
    $t.roleAssignments += [pscustomobject]@{
        name = '77777777-7777-4777-8777-7777777777aa'; scope = "/providers/Microsoft.Management/managementGroups/$Mg"
        roleDefinitionId = $mgReader; principalId = '11111111-1111-4111-8111-111111111111'
    }
    $path = Join-Path $TestDrive 'scope-topology.json'
    $t | ConvertTo-Json -Depth 20 | Set-Content $path
    $script:fake = Start-FakeArm -Topology $path
    Install-AzStandIn -Url $fake.Url
}

AfterAll {
    Stop-FakeArm $fake
    Remove-AzStandIn
    Remove-Module AzFileSync.ManagedIdentity -ErrorAction SilentlyContinue
}

Describe 'Test-AzFileSyncManagedIdentity over a scope of many services' {
    BeforeEach {
        Clear-ArmLog $fake
        Install-AzStandIn -Url $fake.Url
    }

    It 'has the scope parameters in a set of their own, apart from -ResourceGroupName, -Name and -ResourceId' {
        $c = Get-Command Test-AzFileSyncManagedIdentity
        foreach ($p in 'ManagementGroupName', 'AllSubscriptions') { @($c.Parameters[$p].ParameterSets.Keys) | Should -Be @('ByScope') }
        $c.Parameters['SubscriptionId'].ParameterType | Should -Be ([string[]])
        foreach ($p in 'ResourceGroupName', 'Name', 'ResourceId') { $c.Parameters[$p].ParameterSets.Keys | Should -Not -Contain 'ByScope' }
        { Test-AzFileSyncManagedIdentity -ManagementGroupName $Mg -ResourceGroupName rg-sync } | Should -Throw -ErrorId 'AmbiguousParameterSet,AzFileSync.ManagedIdentity.TestAzFileSyncManagedIdentityCommand'
    }

    It '-ManagementGroupName finds every readable service of the group, and names the unreadable subscription as a gap' {
        $out = Test-AzFileSyncManagedIdentity -ManagementGroupName $Mg -ActivityDays 0 -WarningVariable warnings 3>$null
        $findings = @($out | Where-Object { $_ -is [AzFileSync.ManagedIdentity.FileSyncFinding] })
        $result = @($out | Where-Object { $_ -is [AzFileSync.ManagedIdentity.FileSyncScopeResult] })
        $result.Count | Should -Be 1
        @($findings.TargetResourceId | Sort-Object -Unique) | Should -Be @($OtherServiceId, $ServiceId | Sort-Object)
        # Each finding names its own service, so it pipes on.
        ($findings | Where-Object TargetResourceId -eq $OtherServiceId).SubscriptionId | Select-Object -Unique | Should -Be $OtherSub
        ($findings | Where-Object TargetResourceId -eq $ServiceId).StorageSyncServiceName | Select-Object -Unique | Should -Be 'svc1'
        $result[0].ServiceCount | Should -Be 2
        @($result[0].Services.ResourceId | Sort-Object) | Should -Be @($OtherServiceId, $ServiceId | Sort-Object)
        $result[0].UnreadableSubscriptions | Should -Be @($SubC)
        $result[0].Verdict | Should -Not -Be 'pass'
        $result[0].Gaps -join ' ' | Should -Match $SubC
        $result[0].Coverage[0].SubscriptionsInScope | Should -Be 3
        ($warnings -join ' ') | Should -Match $SubC
        # Found through Resource Graph, read-only.
        @(Get-ArmRequest $fake | Where-Object { $_.path -match 'Microsoft.ResourceGraph/resources' }).Count | Should -BeGreaterThan 0
        @(Get-ArmRequest $fake | Where-Object { $_.method -in 'PUT', 'PATCH', 'DELETE' }).Count | Should -Be 0
    }

    It '-Quiet is $false over a partial scope, even when every service it read passed' {
        # service.identity passes on both readable services: only the unreadable subscription is wrong.
        $each = Test-AzFileSyncManagedIdentity -SubscriptionId $Sub, $OtherSub -Check service.identity -ActivityDays 0
        @($each | Where-Object { $_ -is [AzFileSync.ManagedIdentity.FileSyncScopeResult] }).Verdict | Should -Be 'pass'
        Test-AzFileSyncManagedIdentity -SubscriptionId $Sub, $OtherSub -Check service.identity -ActivityDays 0 -Quiet | Should -BeTrue
        $quiet = Test-AzFileSyncManagedIdentity -ManagementGroupName $Mg -Check service.identity -ActivityDays 0 -Quiet -WarningVariable warnings 3>$null
        $quiet | Should -BeOfType [bool]
        $quiet | Should -BeFalse
        ($warnings -join ' ') | Should -Match 'not read whole'
    }

    It '-SubscriptionId with two ids covers the services of both' {
        $out = Test-AzFileSyncManagedIdentity -SubscriptionId $Sub, $OtherSub -ActivityDays 0
        $result = @($out | Where-Object { $_ -is [AzFileSync.ManagedIdentity.FileSyncScopeResult] })
        $result.Count | Should -Be 1
        @($result[0].Services.ResourceId | Sort-Object) | Should -Be @($OtherServiceId, $ServiceId | Sort-Object)
        $result[0].Gaps | Should -BeNullOrEmpty
        $findings = @($out | Where-Object { $_ -is [AzFileSync.ManagedIdentity.FileSyncFinding] })
        @($findings.SubscriptionId | Sort-Object -Unique) | Should -Be @($Sub, $OtherSub | Sort-Object)
        # After the findings' table, the summary in its own view: a line per service, worst first.
        $text = $out | Out-String -Width 120
        $text | Should -Match '(?m)^Verdict\s+: (pass|fail|incomplete)\s*$'
        $text | Should -Match '(?m)^Services\s+: (pass|fail|incomplete) rg-(sync|other)/providers/Microsoft.StorageSync/storageSyncServices/svc'
        $text | Should -Not -Match 'Coverage'
        # One id keeps its meaning: every service of that subscription, one diagnosis, no scope object.
        $one = Test-AzFileSyncManagedIdentity -SubscriptionId $OtherSub -ActivityDays 0
        @($one | Where-Object { $_ -is [AzFileSync.ManagedIdentity.FileSyncScopeResult] }).Count | Should -Be 0
        @($one.TargetResourceId | Sort-Object -Unique) | Should -Be @("/subscriptions/$OtherSub")
    }

    It 'refuses a scope with a service, a sync group or -Local, two scopes, and none, with one clear error each, before any request' {
        { Test-AzFileSyncManagedIdentity -SubscriptionId $Sub, $OtherSub -ResourceGroupName rg-sync -ErrorAction Stop } | Should -Throw -ErrorId 'AzFileSync.SeveralTargets,AzFileSync.ManagedIdentity.TestAzFileSyncManagedIdentityCommand'
        { Test-AzFileSyncManagedIdentity -ManagementGroupName $Mg -Local -ErrorAction Stop } | Should -Throw -ErrorId 'AzFileSync.SeveralTargets,AzFileSync.ManagedIdentity.TestAzFileSyncManagedIdentityCommand'
        { Test-AzFileSyncManagedIdentity -AllSubscriptions -SyncGroupName sg1 -ErrorAction Stop } | Should -Throw -ErrorId 'AzFileSync.SeveralTargets,AzFileSync.ManagedIdentity.TestAzFileSyncManagedIdentityCommand'
        { Test-AzFileSyncManagedIdentity -ManagementGroupName $Mg -AllSubscriptions -ErrorAction Stop } | Should -Throw -ErrorId 'AzFileSync.SeveralTargets,AzFileSync.ManagedIdentity.TestAzFileSyncManagedIdentityCommand'
        { Test-AzFileSyncManagedIdentity -AllSubscriptions:$false -ErrorAction Stop } | Should -Throw -ErrorId 'AzFileSync.NoTarget,AzFileSync.ManagedIdentity.TestAzFileSyncManagedIdentityCommand'
        (Get-ArmRequest $fake).Count | Should -Be 0
    }
}
