# Issue 21: the objects people hold (custom, deserialized, CSV rows, Get-AzResource), which property names
# the service, tokens as strings, the parameters for what the command line can do (a subscription, Graph,
# the principal id, posture changes, another ARM), Repair acting on what was piped, and its confirmation and
# warnings. Against the project's fake ARM, with Az.Accounts stood in as in Live.Tests.ps1.
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

    # An object as it comes back from another runspace, process or file: Export-Clixml of an object with
    # the Az type's name, then Import-Clixml ('Deserialized.<type>', note properties only).
    function ConvertTo-Deserialized {
        param([Parameter(ValueFromPipeline)] $InputObject)
        process {
            $path = Join-Path $TestDrive ([guid]::NewGuid().ToString('N') + '.xml')
            $InputObject | Export-Clixml -Path $path -Depth 5
            Import-Clixml -Path $path
        }
    }

    # The service's findings, by the fake's state now (every test starts from the same topology).
    function Get-ServiceFinding {
        param($Id = $ServiceId, $AccessToken)
        $splat = @{ ResourceId = $Id }
        if ($AccessToken) { $splat.AccessToken = $AccessToken }
        Test-AzFileSyncManagedIdentity @splat -WarningAction SilentlyContinue
    }
}

AfterAll {
    Stop-FakeArm $fake
    Remove-AzStandIn
    Remove-Module AzFileSync.ManagedIdentity -ErrorAction SilentlyContinue
}

Describe 'objects people hold' {
    BeforeEach {
        Clear-ArmLog $fake
        Install-AzStandIn -Url $fake.Url
    }

    It 'Get-AzFileSyncErrorInfo reads the PowerShell properties of custom, JSON and deserialized objects' {
        ([pscustomobject]@{ LastSyncResult = -2134364065 } | Get-AzFileSyncErrorInfo).Code | Should -Be '0x80c8305f'
        ('{"ErrorCode": -2134364065}' | ConvertFrom-Json | Get-AzFileSyncErrorInfo).Code | Should -Be '0x80c8305f'
        ([pscustomobject]@{ HResult = '0x80c8305f' } | Get-AzFileSyncErrorInfo).Code | Should -Be '0x80c8305f'
        (@([pscustomobject]@{ ErrorCodes = @('0x80c8305f', '0x80c83096') }) | Get-AzFileSyncErrorInfo).Code | Should -Be @('0x80c8305f', '0x80c83096')
        $session = [pscustomobject]@{ LastSyncResult = -2134364065; LastSyncTimestamp = [datetime]::UtcNow }
        $session.PSTypeNames.Insert(0, 'Microsoft.Azure.Commands.StorageSync.Models.PSSyncSessionStatus')
        $deserialized = $session | ConvertTo-Deserialized
        $deserialized.PSTypeNames[0] | Should -Be 'Deserialized.Microsoft.Azure.Commands.StorageSync.Models.PSSyncSessionStatus'
        ($deserialized | Get-AzFileSyncErrorInfo).Code | Should -Be '0x80c8305f'
        # The real Az type, deserialized (as Invoke-Command and Start-Job return it).
        $endpoint = New-AzServerEndpointObject -UploadResult -2134364065 | ConvertTo-Deserialized
        ($endpoint.SyncStatus.UploadStatus | Get-AzFileSyncErrorInfo).Code | Should -Be '0x80c8305f'
        # An object with a null code still says why, by its type name.
        $never = [pscustomobject]@{ LastSyncResult = $null }
        $never | Get-AzFileSyncErrorInfo -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].Exception.Message | Should -BeLike '*has no LastSyncResult*'
    }

    It 'objects returned by a job bind as the originals do' {
        # Start-Job needs a pwsh executable beside the engine; a hosted engine (this test host) has none.
        try {
            $job = Start-Job -ScriptBlock { [pscustomobject]@{ LastSyncResult = -2134364065 } } -ErrorAction Stop
        } catch [System.Management.Automation.PSNotSupportedException] {
            Set-ItResult -Skipped -Because "this host cannot start a background job ($($_.Exception.Message.Split('.')[0]))"
            return
        }
        try {
            $back = $job | Wait-Job -Timeout 60 | Receive-Job
        } finally { $job | Remove-Job -Force }
        $back.PSTypeNames[0] | Should -BeLike 'Deserialized.*'
        ($back | Get-AzFileSyncErrorInfo).Code | Should -Be '0x80c8305f'
    }

    It 'deserialized Az.StorageSync objects and [pscustomobject]s point at their service' {
        $server = New-AzRegisteredServerObject | ConvertTo-Deserialized
        $server.PSTypeNames[0] | Should -BeLike 'Deserialized.*PSRegisteredServer'
        $findings = $server | Test-AzFileSyncManagedIdentity
        $findings.Count | Should -BeGreaterThan 0
        $findings.StorageSyncServiceName | Select-Object -Unique | Should -Be 'svc1'
        $custom = [pscustomobject]@{ ResourceId = "$ServiceId/syncGroups/sg2" }
        ($custom | Test-AzFileSyncManagedIdentity).ResourceId | Where-Object { $_ -match '/syncGroups/sg1(/|$)' } | Should -BeNullOrEmpty
    }

    It 'a CSV row whose ResourceId is empty or null binds by ResourceGroupName and StorageSyncServiceName, for Test, Repair, Enable and Export' {
        $rows = "ResourceId,ResourceGroupName,StorageSyncServiceName`n,rg-sync,svc1" | ConvertFrom-Csv
        $rows[0].ResourceId | Should -BeExactly ''
        $null = $rows | Test-AzFileSyncManagedIdentity -ErrorVariable e1 -ErrorAction SilentlyContinue
        $e1 | Should -BeNullOrEmpty
        ($rows | Test-AzFileSyncManagedIdentity).StorageSyncServiceName | Select-Object -Unique | Should -Be 'svc1'
        $nulled = [pscustomobject]@{ ResourceId = $null; ResourceGroupName = 'rg-sync'; StorageSyncServiceName = 'svc1' }
        ($nulled | Test-AzFileSyncManagedIdentity).Count | Should -BeGreaterThan 0
        $nulled | Repair-AzFileSyncPermission -WhatIf -ErrorVariable e2 -ErrorAction SilentlyContinue -WarningAction SilentlyContinue 6>$null
        $rows | Enable-AzFileSyncManagedIdentity -WhatIf -ErrorVariable e3 -ErrorAction SilentlyContinue -WarningAction SilentlyContinue 6>$null
        $path = Join-Path $TestDrive 'csv.json'
        $null = $rows | Export-AzFileSyncSnapshot -Path $path -ErrorVariable e4 -ErrorAction SilentlyContinue
        @($e2) + @($e3) + @($e4) | Where-Object { $_ } | Should -BeNullOrEmpty
        (Get-Content $path -Raw | ConvertFrom-Json).target.name | Should -Be 'svc1'
        (Get-ArmWrite $fake).Count | Should -Be 0
    }
}

Describe 'which property names the service' {
    BeforeEach {
        Clear-ArmLog $fake
        Install-AzStandIn -Url $fake.Url
    }

    It 'an object''s Name is its own: a Get-AzResource sync group (svc1/sg2) and a server named srv1 point at svc1' {
        $all = Test-AzFileSyncManagedIdentity -ResourceId $ServiceId
        $resource = [pscustomobject]@{
            Name = 'svc1/sg2'; ResourceGroupName = 'rg-sync'; ResourceType = 'Microsoft.StorageSync/storageSyncServices/syncGroups'
            ResourceId = "$ServiceId/syncGroups/sg2"; SubscriptionId = $Sub
        }
        $sg2 = @($resource | Test-AzFileSyncManagedIdentity -ErrorVariable err -ErrorAction SilentlyContinue)
        $err | Should -BeNullOrEmpty
        $sg2.Count | Should -BeGreaterThan 0
        $sg2.Count | Should -BeLessThan $all.Count
        $sg2.StorageSyncServiceName | Select-Object -Unique | Should -Be 'svc1'
        $server = [pscustomobject]@{ Name = 'srv1'; ResourceGroupName = 'rg-sync'; ResourceId = "$ServiceId/registeredServers/44444444-4444-4444-8444-444444444444" }
        @($server | Test-AzFileSyncManagedIdentity).Count | Should -Be $all.Count
        # No ResourceId: the StorageSyncServiceName names the service, never the Name.
        $row = [pscustomobject]@{ Name = 'srv1'; ResourceGroupName = 'rg-sync'; StorageSyncServiceName = 'svc1' }
        @($row | Test-AzFileSyncManagedIdentity).Count | Should -Be $all.Count
        (Get-Command Test-AzFileSyncManagedIdentity).Parameters['Name'].Attributes.ValueFromPipelineByPropertyName | Should -Not -Contain $true
        # The properties only piped objects give are documented, but kept out of the syntax a person reads.
        $syntax = (Get-Help Repair-AzFileSyncPermission).Syntax | Out-String -Width 400
        foreach ($hidden in 'StorageSyncServiceName', 'TargetResourceId', 'Check', 'PrincipalId', 'Scope') { $syntax | Should -Not -Match "-$hidden\b" }
        $syntax | Should -Match '-IncludeSecurityPostureChange'
    }

    It 'conflicting parameters are refused with an error that names both, and nothing is read' {
        Test-AzFileSyncManagedIdentity -ResourceId $ServiceId -ResourceGroupName rg-other -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err.Count | Should -Be 1
        $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err[0].Exception.Message | Should -BeLike "*resource group 'rg-other' disagrees*rg-sync*"
        Test-AzFileSyncManagedIdentity -ResourceId $ServiceId -SubscriptionId $OtherSub -ErrorVariable err2 -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err2[0].Exception.Message | Should -BeLike "*subscription '$OtherSub' disagrees*"
        New-AzRegisteredServerObject | Repair-AzFileSyncPermission -Name svc9 -WhatIf -ErrorVariable err3 -ErrorAction SilentlyContinue
        $err3[0].Exception.Message | Should -BeLike "*'svc9'*'svc1'*"
        (Get-ArmRequest $fake).Count | Should -Be 0
    }
}

Describe 'tokens' {
    BeforeEach {
        Clear-ArmLog $fake
        Install-AzStandIn -Url $fake.Url
    }

    It '-AccessToken takes a string (and Get-AzAccessToken''s object) as well as a SecureString, and never echoes it' {
        $out = Test-AzFileSyncManagedIdentity -ResourceId $ServiceId -AccessToken 'tok-owner' -Check service.identity -Verbose *>&1
        @($out | Where-Object { $_ -is [AzFileSync.ManagedIdentity.FileSyncFinding] }).Count | Should -BeGreaterThan 0
        ($global:AzStandInCalls | Where-Object Command -EQ 'Get-AzAccessToken') | Should -BeNullOrEmpty
        ($out | Out-String -Width 400) | Should -Not -Match 'tok-owner'
        $fromAz = [Microsoft.Azure.Commands.Profile.Models.PSAccessToken]@{ Token = 'tok-owner'; ExpiresOn = [DateTimeOffset]::UtcNow.AddHours(1) }
        (Test-AzFileSyncManagedIdentity -ResourceId $ServiceId -AccessToken $fromAz -Check service.identity -WarningAction SilentlyContinue).Count | Should -BeGreaterThan 0
        # A value of another kind is refused by the binder, without showing it.
        { Test-AzFileSyncManagedIdentity -ResourceId $ServiceId -AccessToken ([datetime]'2001-02-03') } |
            Should -Throw -ErrorId 'ParameterArgumentTransformationError,AzFileSync.ManagedIdentity.TestAzFileSyncManagedIdentityCommand'
        # A string token ARM refuses is the same error as a SecureString one, and does not show the token.
        Test-AzFileSyncManagedIdentity -ResourceId $ServiceId -AccessToken 'tok-nobody-issued-this' -ErrorVariable err -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $err[0].CategoryInfo.Category | Should -Be 'AuthenticationError'
        ($err | Out-String -Width 400) | Should -Not -Match 'tok-nobody-issued-this'
    }
}

Describe 'parameters for what the command line can do' {
    BeforeEach {
        Clear-ArmLog $fake
        Install-AzStandIn -Url $fake.Url
    }

    It '-SubscriptionId alone diagnoses every service of the subscription' {
        $findings = @(Test-AzFileSyncManagedIdentity -SubscriptionId $OtherSub)
        $findings.Count | Should -BeGreaterThan 0
        $findings.ResourceId | Where-Object { $_ -like '*/storageSyncServices/svc9*' } | Should -Not -BeNullOrEmpty
        $findings.SubscriptionId | Select-Object -Unique | Should -Be $OtherSub
        $findings.TargetResourceId | Select-Object -Unique | Should -Be "/subscriptions/$OtherSub"
        (Get-ArmRequest $fake | Where-Object { $_.path -eq "/subscriptions/$OtherSub/providers/Microsoft.StorageSync/storageSyncServices" }).Count | Should -Be 1
        # An object with only a subscription (Get-AzSubscription's) does the same.
        @([pscustomobject]@{ SubscriptionId = $OtherSub; Name = 'Contoso' } | Test-AzFileSyncManagedIdentity).Count | Should -Be $findings.Count
    }

    It '-StorageSyncPrincipalId is used instead of Graph; -GraphAccessToken with -AccessToken asks Graph at the context''s endpoint' {
        $path = Join-Path $TestDrive 'principal.json'
        $null = Export-AzFileSyncSnapshot -ResourceId $ServiceId -Path $path -AccessToken 'tok-owner' -StorageSyncPrincipalId '88888888-8888-4888-8888-888888888888' -WarningVariable w
        $w | Should -BeNullOrEmpty
        (Get-ArmRequest $fake | Where-Object { $_.path -eq '/v1.0/servicePrincipals' }) | Should -BeNullOrEmpty
        (Get-Content $path -Raw | ConvertFrom-Json).storageSyncPrincipalId | Should -Be '88888888-8888-4888-8888-888888888888'
        Clear-ArmLog $fake
        $graph = Join-Path $TestDrive 'graph.json'
        $null = Export-AzFileSyncSnapshot -ResourceId $ServiceId -Path $graph -AccessToken 'tok-owner' -GraphAccessToken 'tok-graph' -WarningVariable w2
        $w2 | Should -BeNullOrEmpty
        (Get-ArmRequest $fake | Where-Object { $_.path -eq '/v1.0/servicePrincipals' }).status | Should -Be 200
        (Get-Content $graph -Raw | ConvertFrom-Json).storageSyncPrincipalSource | Should -Be 'graph'
        { Test-AzFileSyncManagedIdentity -ResourceId $ServiceId -StorageSyncPrincipalId 'not-a-guid' -ErrorAction Stop } | Should -Throw '*storageSyncPrincipalId*'
    }

    It 'with -AccessToken and no Graph token: one warning that says how to give it, and a healthy deployment stays healthy' {
        # Its own fake: the repair writes. Once repaired, svc9 is healthy but for its live sync error (left
        # out, as are the servers' machine checks, which truly cannot decide without Graph and say so).
        $own = Start-FakeArm
        Install-AzStandIn -Url $own.Url
        try {
            $null = Repair-AzFileSyncPermission -ResourceId $OtherServiceId -Confirm:$false -WarningAction SilentlyContinue
            $checks = 'service.*', 'identity.*', 'role.*', 'storage.*', 'cloud-endpoint.*', 'server-endpoint.*'
            $token = ConvertTo-SecureString 'tok-owner' -AsPlainText -Force
            $out = Test-AzFileSyncManagedIdentity -ResourceId $OtherServiceId -AccessToken $token -Check $checks -WarningVariable w -WarningAction SilentlyContinue
            @($w).Count | Should -Be 1
            $w[0].Message | Should -BeLike '*server.machine-identity*-GraphAccessToken*-StorageSyncPrincipalId*'
            $legacy = @($out | Where-Object Check -EQ 'storage.legacy-sync-principal')
            $legacy.Count | Should -BeGreaterThan 0
            $legacy.Status | Select-Object -Unique | Should -Be 'NotApplicable'
            ($out | Where-Object Status -In 'fail', 'unknown') | Should -BeNullOrEmpty
            Test-AzFileSyncManagedIdentity -ResourceId $OtherServiceId -AccessToken $token -Check $checks -Quiet -WarningAction SilentlyContinue | Should -BeTrue
        } finally {
            Stop-FakeArm $own
            Install-AzStandIn -Url $fake.Url
        }
    }

    It '-IncludeSecurityPostureChange plans the storage firewall change that is otherwise only a warning' {
        $topology = Get-Content (Join-Path $PSScriptRoot '../topology.json') -Raw | ConvertFrom-Json
        $sa9 = $topology.storageAccounts | Where-Object name -EQ 'sa9'
        $sa9 | Add-Member -NotePropertyName networkAcls -NotePropertyValue ([pscustomobject]@{ bypass = 'None'; defaultAction = 'Deny' }) -Force
        $path = Join-Path $TestDrive 'firewall.json'
        $topology | ConvertTo-Json -Depth 32 | Set-Content $path
        $own = Start-FakeArm -Topology $path
        Install-AzStandIn -Url $own.Url
        try {
            $without = @(Repair-AzFileSyncPermission -ResourceId $OtherServiceId -Confirm:$false -WarningVariable w -WarningAction SilentlyContinue)
            $without.Kind | Should -Not -Contain 'setStorageTrustedServices'
            ($w.Message -like '*storage.trusted-services*') | Should -Not -BeNullOrEmpty
            $with = @(Repair-AzFileSyncPermission -ResourceId $OtherServiceId -IncludeSecurityPostureChange -Confirm:$false -WarningAction SilentlyContinue)
            $with.Kind | Should -Contain 'setStorageTrustedServices'
            ($with | Where-Object Kind -EQ 'setStorageTrustedServices').Status | Should -Not -Be 'failed'
        } finally {
            Stop-FakeArm $own
            Install-AzStandIn -Url $fake.Url
        }
    }
}

Describe 'another cloud, a private ARM' {
    BeforeEach {
        Clear-ArmLog $fake
        Install-AzStandIn -Url $fake.Url
    }

    It 'follows an Az environment that is not a well-known cloud (Azure Stack Hub) by its Resource Manager URL' {
        $global:StackContext = Get-AzContext
        $global:StackContext.Environment.Name = 'AzureStackUser'
        $null = $global:StackContext.Environment.ExtendedProperties.Remove('MicrosoftGraphUrl')
        function global:Get-AzContext {
            [CmdletBinding()] param($DefaultProfile)
            $global:StackContext
        }
        try {
            $findings = Test-AzFileSyncManagedIdentity -ResourceId $ServiceId -Check service.identity -ErrorVariable err -ErrorAction SilentlyContinue
            $err | Should -BeNullOrEmpty
            $findings.Count | Should -BeGreaterThan 0
            (Get-ArmRequest $fake).Count | Should -BeGreaterThan 0
        } finally {
            Remove-Variable -Scope Global StackContext
            Install-AzStandIn -Url $fake.Url
        }
    }

    It '-ArmEndpoint names a private ARM; one that refuses connections fails after a few attempts, naming it' {
        (Test-AzFileSyncManagedIdentity -ResourceId $ServiceId -ArmEndpoint $fake.Url -Check service.identity).Count | Should -BeGreaterThan 0
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $listener.Start(); $port = $listener.LocalEndpoint.Port; $listener.Stop()
        $closed = "http://127.0.0.1:$port"
        $out = Test-AzFileSyncManagedIdentity -ResourceId $ServiceId -ArmEndpoint $closed -ErrorVariable err -ErrorAction SilentlyContinue -Verbose 4>&1
        $err.Count | Should -Be 1
        $err[0].Exception.Message | Should -BeLike "*cannot connect to $closed*"
        $err[0].TargetObject | Should -Be $ServiceId
        # Each request makes two more connection attempts, not the whole back-off of a transient failure (5
        # retries); the first reads of a service go out together, so several requests may retry at once.
        $retries = @($out | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -like '*retrying in*' })
        $retries.Count | Should -BeGreaterThan 0
        $attempts = $retries | ForEach-Object { if ($_.Message -match '\(attempt (\d+) of \d+\)') { [int]$Matches[1] } }
        @($attempts).Count | Should -Be $retries.Count
        ($attempts | Measure-Object -Maximum).Maximum | Should -Be 3
    }
}

Describe 'Repair acts on what was piped, and its confirmation and warnings match its words' {
    BeforeEach {
        Clear-ArmLog $fake
        Install-AzStandIn -Url $fake.Url
    }

    It 'findings piped in: only the changes they call for; none piped: the whole deployment' {
        $own = Start-FakeArm
        Install-AzStandIn -Url $own.Url
        try {
            $findings = Get-ServiceFinding
            $fail = @($findings | Where-Object Status -EQ 'fail')
            $fail.Count | Should -BeGreaterThan 1
            $one = $fail | Where-Object Check -EQ 'server-endpoint.server-share-role' | Select-Object -First 1
            $results = @($one | Repair-AzFileSyncPermission -Confirm:$false)
            $results.Count | Should -Be 1
            $results[0].Status | Should -Be 'created'
            $results[0].Target | Should -Be $one.Scope
            (Get-ArmWrite $own).Count | Should -Be 1
            # Nothing piped: the whole deployment, so the grants of the failing findings not piped above.
            $all = @(Repair-AzFileSyncPermission -ResourceId $ServiceId -Confirm:$false -WarningAction SilentlyContinue)
            $all.Count | Should -BeGreaterThan 0
            $all.Kind | Select-Object -Unique | Should -Be 'roleAssignment'
            $all.Status | Should -Not -Contain 'failed'
            $writes = (Get-ArmWrite $own).Count
            $writes | Should -Be (1 + @($all | Where-Object Status -EQ 'created').Count)
            # The failing findings piped now: all done already, nothing more is written.
            $again = @($fail | Repair-AzFileSyncPermission -Confirm:$false -WarningAction SilentlyContinue)
            $again.Status | Should -Not -Contain 'created'
            (Get-ArmWrite $own).Count | Should -Be $writes
        } finally {
            Stop-FakeArm $own
            Install-AzStandIn -Url $fake.Url
        }
    }

    It 'a finding piped in that passes now plans nothing' {
        $pass = Get-ServiceFinding | Where-Object Status -EQ 'pass' | Select-Object -First 1
        $pass | Repair-AzFileSyncPermission -Confirm:$false -WarningVariable w -WarningAction SilentlyContinue | Should -BeNullOrEmpty
        $w | Should -BeNullOrEmpty
        (Get-ArmWrite $fake).Count | Should -Be 0
    }

    It 'ConfirmImpact is Medium (Az guidelines), so it does not ask at the default preference, and the help says so' {
        $attr = [AzFileSync.ManagedIdentity.RepairAzFileSyncPermissionCommand].GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0]
        $attr.ConfirmImpact | Should -Be 'Medium'
        $ConfirmPreference | Should -Be 'High'
        $help = Get-Help Repair-AzFileSyncPermission -Full
        $help.Synopsis | Should -Not -Match 'confirm'
        ($help.Description.Text -join ' ') | Should -Match 'ConfirmImpact is Medium'
        ($help.Description.Text -join ' ') | Should -Match 'does not ask'
        # And it does not: this session cannot prompt, yet the changes are applied.
        $own = Start-FakeArm
        Install-AzStandIn -Url $own.Url
        try {
            @(Repair-AzFileSyncPermission -ResourceId $OtherServiceId -WarningAction SilentlyContinue).Status | Select-Object -Unique | Should -Be 'created'
        } finally {
            Stop-FakeArm $own
            Install-AzStandIn -Url $fake.Url
        }
    }

    It 'findings a repair does not change are not warnings (verbose only)' {
        # svc9 has a live sync error (0x80c8305f): a finding no role grant changes by itself.
        $findings = Get-ServiceFinding -Id $OtherServiceId
        ($findings | Where-Object { $_.Status -eq 'fail' -and $_.Check -eq 'sync.live-errors' }) | Should -Not -BeNullOrEmpty
        $out = Repair-AzFileSyncPermission -ResourceId $OtherServiceId -WhatIf -Verbose -WarningVariable w -WarningAction SilentlyContinue 4>&1 6>$null
        $w.Message | Where-Object { $_ -like '*not something repair changes*' } | Should -BeNullOrEmpty
        @($out | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -like '*not something repair changes*' }).Count | Should -BeGreaterThan 0
    }
}
