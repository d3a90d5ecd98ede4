# Test-AzFileSyncManagedIdentity -Local (issue 24): the fake ARM, plus the fake Arc agent of tests/fake-arm
# (`fake-arm agent`) on loopback, whose key files go into this test's own temporary folder.
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

    # A fake Arc agent saying this machine is $Machine with identity $Oid; stopped by closing its stdin.
    function script:Start-FakeAgent {
        param([string] $Machine, [string] $Oid, [string] $KeyDirectory)
        $resourceId = "/subscriptions/$Sub/resourceGroups/rg-sync/providers/Microsoft.HybridCompute/machines/$Machine"
        $psi = [System.Diagnostics.ProcessStartInfo]::new($FakeArm)
        foreach ($a in 'agent', '--arc-key-directory', $KeyDirectory, '--resource-id', $resourceId, '--oid', $Oid, '--tid', $TenantId) {
            $psi.ArgumentList.Add($a)
        }
        $psi.UseShellExecute = $false
        $psi.RedirectStandardInput = $true
        $psi.RedirectStandardOutput = $true
        $process = [System.Diagnostics.Process]::Start($psi)
        $first = $process.StandardOutput.ReadLine()
        if ($first -notmatch '^listening on (http://127\.0\.0\.1:\d+)$') { throw "fake agent did not start: $first" }
        [pscustomobject]@{ Process = $process; Url = $Matches[1] }
    }
    function script:Stop-FakeAgent {
        param($Agent)
        if (-not $Agent) { return }
        $Agent.Process.StandardInput.Close()
        if (-not $Agent.Process.WaitForExit(5000)) { $Agent.Process.Kill() }
    }
    function script:Get-ClosedPort {
        $l = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $l.Start(); $port = $l.LocalEndpoint.Port; $l.Stop()
        $port
    }
    $script:saved = @{ IDENTITY_ENDPOINT = $env:IDENTITY_ENDPOINT; IMDS_ENDPOINT = $env:IMDS_ENDPOINT }
}

AfterAll {
    $env:IDENTITY_ENDPOINT = $saved.IDENTITY_ENDPOINT
    $env:IMDS_ENDPOINT = $saved.IMDS_ENDPOINT
    Stop-FakeArm $fake
    Remove-AzStandIn
    Remove-Module AzFileSync.ManagedIdentity -ErrorAction SilentlyContinue
}

Describe 'Test-AzFileSyncManagedIdentity -Local' {
    BeforeEach {
        Install-AzStandIn -Url $fake.Url
        $script:keys = Join-Path $fake.Dir ('keys-' + [guid]::NewGuid().ToString('N'))
        New-Item -ItemType Directory $keys | Out-Null
        $script:closed = Get-ClosedPort
        # Every host of srv1's sync pinned to a closed loopback port: no lookup leaves the machine.
        $script:pins = @('sa1.file.core.windows.net', 'westus01.afs.azure.net', 'tm-westus01.afs.azure.net', 'login.microsoftonline.com') |
            ForEach-Object { "${_}:443:127.0.0.1:$closed" }
    }
    AfterEach {
        Stop-FakeAgent $agent
        $script:agent = $null
    }

    It 'names the identity drift with the command to run here, and the closed storage port with its step' {
        # srv1 is registered with 33333333-...-333333333333; its machine now gets tokens as another identity.
        $script:agent = Start-FakeAgent -Machine srv1 -Oid '33333333-3333-4333-8333-3333333333f1' -KeyDirectory $keys
        $env:IDENTITY_ENDPOINT = "$($agent.Url)/metadata/identity/oauth2/token"
        $env:IMDS_ENDPOINT = $agent.Url
        $out = @(Test-AzFileSyncManagedIdentity -ResourceGroupName rg-sync -Name svc1 -ActivityDays 0 -Local -ArcKeyDirectory $keys -Resolve $pins -ProbeTimeoutSeconds 2)
        $local = @($out | Where-Object { $_.PSObject.TypeNames -contains 'AzFileSync.LocalFinding' })
        $identity = $local | Where-Object Check -eq 'local.identity'
        $identity.Status | Should -Be 'Fail'
        $identity.Server | Should -Be 'srv1'
        $identity.Message | Should -Match '33333333-3333-4333-8333-3333333333f1'
        $identity.Remediation | Should -Match 'Set-AzStorageSyncServer -ResourceGroupName rg-sync -StorageSyncServiceName svc1 -Identity'
        $storage = $local | Where-Object HostName -eq 'sa1.file.core.windows.net'
        $storage.Status | Should -Be 'Fail'
        $storage.Step | Should -Be 'tcp'
        $storage.Port | Should -Be $closed
        # The ARM findings come too, and nothing was written.
        @($out | Where-Object { $_ -is [AzFileSync.ManagedIdentity.FileSyncFinding] }).Count | Should -BeGreaterThan 0
        (Get-ArmWrite $fake).Count | Should -Be 0
        Test-AzFileSyncManagedIdentity -ResourceGroupName rg-sync -Name svc1 -ActivityDays 0 -Local -ArcKeyDirectory $keys -Resolve $pins -ProbeTimeoutSeconds 2 -Quiet | Should -BeFalse
    }

    It 'says in one error that this machine is not a registered server of the service' {
        $script:agent = Start-FakeAgent -Machine laptop7 -Oid '33333333-3333-4333-8333-3333333333e9' -KeyDirectory $keys
        $env:IDENTITY_ENDPOINT = "$($agent.Url)/metadata/identity/oauth2/token"
        $env:IMDS_ENDPOINT = $agent.Url
        $out = Test-AzFileSyncManagedIdentity -ResourceGroupName rg-sync -Name svc1 -ActivityDays 0 -Local -ArcKeyDirectory $keys -Resolve $pins -ErrorVariable err -ErrorAction SilentlyContinue
        $out | Should -BeNullOrEmpty
        $err.Count | Should -Be 1
        $err[0].Exception.Message | Should -Match "laptop7.*is not a registered server of Storage Sync Service 'svc1'"
        $err[0].Exception.Message | Should -Not -Match "`n"
    }

    It 'refuses a malformed pin by what is wrong with it' {
        { Test-AzFileSyncManagedIdentity -ResourceGroupName rg-sync -Name svc1 -Local -Resolve 'sa1.file.core.windows.net:443' -ErrorAction Stop } |
            Should -Throw -ExpectedMessage '*HOST:PORT:ADDRESS*'
    }
}
