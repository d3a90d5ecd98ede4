# Shared by the Pester files (dot-sourced in their BeforeAll): the project's fake ARM as a process on
# loopback, stand-ins for Az.Accounts that return Get-AzContext's and Get-AzAccessToken's real shapes, and
# objects of Az.StorageSync's real types (tests/shapes/AzShapes.cs).

$script:Sub = '6f1c2b7e-4a4d-4b1e-9a7c-2d5f0e8b9c31'
$script:OtherSub = '0b3c1a52-7d2e-4f4a-9c1b-5a6d7e8f9012'
$script:TenantId = '72f988bf-0000-4000-8000-00000000fa4e'
$script:ServiceId = "/subscriptions/$Sub/resourceGroups/rg-sync/providers/Microsoft.StorageSync/storageSyncServices/svc1"
$script:OtherServiceId = "/subscriptions/$OtherSub/resourceGroups/rg-other/providers/Microsoft.StorageSync/storageSyncServices/svc9"
$script:Repo = (Resolve-Path (Join-Path $PSScriptRoot '../../..')).Path
$script:Sample = Join-Path $Repo 'examples/sample-deployment.json'

if (-not ('Microsoft.Azure.Commands.StorageSync.Models.PSStorageSyncService' -as [type])) {
    Add-Type -Path (Join-Path $PSScriptRoot '../shapes/AzShapes.cs')
}

function Start-FakeArm {
    param([string] $Topology = (Join-Path $PSScriptRoot '../topology.json'))
    $dir = Join-Path ([System.IO.Path]::GetTempPath()) ('azfs-pester-' + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory $dir | Out-Null
    $log = Join-Path $dir 'requests.jsonl'
    $psi = [System.Diagnostics.ProcessStartInfo]::new($FakeArm)
    foreach ($a in '--topology', $Topology, '--log', $log) { $psi.ArgumentList.Add($a) }
    $psi.UseShellExecute = $false
    $psi.RedirectStandardInput = $true
    $psi.RedirectStandardOutput = $true
    $process = [System.Diagnostics.Process]::Start($psi)
    $first = $process.StandardOutput.ReadLine()
    if ($first -notmatch '^listening on (http://127\.0\.0\.1:\d+)$') { throw "fake-arm did not start: $first" }
    [pscustomobject]@{ Process = $process; Url = $Matches[1]; Log = $log; Dir = $dir }
}

function Stop-FakeArm {
    param($Fake)
    if (-not $Fake) { return }
    $Fake.Process.StandardInput.Close()
    if (-not $Fake.Process.WaitForExit(5000)) { $Fake.Process.Kill() }
    Remove-Item -Recurse -Force $Fake.Dir -ErrorAction SilentlyContinue
}

# Every request the fake served since the last Clear-ArmLog, as objects (method, path, status, ...).
function Get-ArmRequest {
    param($Fake)
    if (-not (Test-Path $Fake.Log)) { return @() }
    @(Get-Content $Fake.Log | Where-Object { $_ } | ForEach-Object { $_ | ConvertFrom-Json })
}

function Get-ArmWrite {
    param($Fake)
    @(Get-ArmRequest $Fake | Where-Object { $_.method -in 'PUT', 'PATCH', 'POST', 'DELETE' })
}

function Clear-ArmLog {
    param($Fake)
    if (Test-Path $Fake.Log) { Clear-Content $Fake.Log }
}

# Global functions named like Az.Accounts' cmdlets: the module finds them through InvokeCommand as it would
# find the real ones. They return the real types (PSAzureContext, PSAccessToken / PSSecureAccessToken) and
# record every call in $global:AzStandInCalls.
function Install-AzStandIn {
    param(
        [Parameter(Mandatory)] [string] $Url,
        [string] $Subscription = $script:Sub,
        [ValidateSet('Secure', 'String')] [string] $TokenType = 'Secure',
        [string] $Token = 'tok-owner',
        [string] $GraphToken = 'tok-graph',
        [switch] $NoGraphUrl,
        [switch] $NoAccount
    )
    $global:AzStandIn = @{
        Url = $Url; Subscription = $Subscription; TokenType = $TokenType; Token = $Token; GraphToken = $GraphToken
        NoGraphUrl = [bool]$NoGraphUrl; NoAccount = [bool]$NoAccount; TenantId = $script:TenantId
    }
    $global:AzStandInCalls = [System.Collections.Generic.List[object]]::new()
    function global:Get-AzContext {
        [CmdletBinding()]
        param($DefaultProfile)
        $global:AzStandInCalls.Add([pscustomobject]@{ Command = 'Get-AzContext'; Parameters = @{} + $PSBoundParameters })
        $s = $global:AzStandIn
        $ext = [System.Collections.Generic.Dictionary[string, string]]::new([System.StringComparer]::OrdinalIgnoreCase)
        if (-not $s.NoGraphUrl) {
            # The fake serves Graph (/v1.0/...) on the same port as ARM; named by another host, as Graph is
            # another host in Azure, so that the two audiences stay apart.
            $graph = $s.Url -replace '127\.0\.0\.1', 'localhost'
            $ext['MicrosoftGraphUrl'] = $graph
            $ext['MicrosoftGraphEndpointResourceId'] = "$graph/"
        }
        $ctx = [Microsoft.Azure.Commands.Profile.Models.Core.PSAzureContext]::new()
        $ctx.Name = "Contoso ($($s.Subscription)) - admin@contoso.com"
        if (-not $s.NoAccount) {
            $ctx.Account = [Microsoft.Azure.Commands.Profile.Models.PSAzureRmAccount]@{ Id = 'admin@contoso.com'; Type = 'User' }
        }
        $ctx.Subscription = [Microsoft.Azure.Commands.Profile.Models.PSAzureSubscription]@{ Id = $s.Subscription; Name = 'Contoso'; State = 'Enabled'; TenantId = $s.TenantId }
        $ctx.Tenant = [Microsoft.Azure.Commands.Profile.Models.PSAzureTenant]@{ Id = $s.TenantId }
        $ctx.Environment = [Microsoft.Azure.Commands.Profile.Models.PSAzureEnvironment]@{
            Name = 'AzureCloud'; ResourceManagerUrl = "$($s.Url)/"; ActiveDirectoryAuthority = 'https://login.microsoftonline.com/'
            GraphUrl = 'https://graph.windows.net/'; ExtendedProperties = $ext
        }
        $ctx
    }
    function global:Get-AzAccessToken {
        [CmdletBinding(DefaultParameterSetName = 'ResourceTypeName')]
        param(
            [Parameter(ParameterSetName = 'ResourceTypeName')] [string] $ResourceTypeName = 'Arm',
            [Parameter(ParameterSetName = 'ResourceUrl', Mandatory)] [Alias('Resource', 'ResourceUri')] [string] $ResourceUrl,
            [string] $TenantId,
            [switch] $AsSecureString,
            $DefaultProfile
        )
        $global:AzStandInCalls.Add([pscustomobject]@{ Command = 'Get-AzAccessToken'; Parameters = @{} + $PSBoundParameters })
        $s = $global:AzStandIn
        $value = if ($ResourceTypeName -eq 'MSGraph') { $s.GraphToken } else { $s.Token }
        if (-not $value) { throw "Failed to acquire token for $ResourceTypeName." }
        if ($s.TokenType -eq 'Secure' -or $AsSecureString) {
            [Microsoft.Azure.Commands.Profile.Models.PSSecureAccessToken]@{
                Token = (ConvertTo-SecureString $value -AsPlainText -Force); ExpiresOn = [DateTimeOffset]::UtcNow.AddHours(1)
                TenantId = $s.TenantId; UserId = 'admin@contoso.com'
            }
        } else {
            [Microsoft.Azure.Commands.Profile.Models.PSAccessToken]@{
                Token = $value; ExpiresOn = [DateTimeOffset]::UtcNow.AddHours(1); TenantId = $s.TenantId; UserId = 'admin@contoso.com'
            }
        }
    }
}

function Remove-AzStandIn {
    foreach ($name in 'Get-AzContext', 'Get-AzAccessToken') {
        while (Test-Path "Function:\$name") { Remove-Item "Function:\$name" }
    }
    Remove-Variable -Scope Global AzStandIn, AzStandInCalls -ErrorAction SilentlyContinue
}

# --- Az.StorageSync objects, shaped as Get-AzStorageSync* returns them (null where Az leaves null) -------

function New-AzStorageSyncServiceObject {
    param([string] $Id = $script:ServiceId)
    $parts = $Id -split '/'
    [Microsoft.Azure.Commands.StorageSync.Models.PSStorageSyncService]@{
        ResourceId = $Id; ResourceGroupName = $parts[4]; Type = 'Microsoft.StorageSync/storageSyncServices'
        Location = 'westeurope'; StorageSyncServiceName = $parts[8]; IncomingTrafficPolicy = 'AllowAllTraffic'
        PrivateEndpointConnections = $null; ProvisioningState = 'Succeeded'; UseIdentity = $true
    }
}

function New-AzRegisteredServerObject {
    param([string] $ServiceId = $script:ServiceId, [string] $ServerId = '44444444-4444-4444-8444-444444444444', [string] $Name = 'srv1')
    $parts = $ServiceId -split '/'
    [Microsoft.Azure.Commands.StorageSync.Models.PSRegisteredServer]@{
        ResourceId = "$ServiceId/registeredServers/$ServerId"; ResourceGroupName = $parts[4]
        Type = 'Microsoft.StorageSync/storageSyncServices/registeredServers'; StorageSyncServiceName = $parts[8]
        ServerId = $ServerId; AgentVersion = '20.0.0.0'; AgentVersionStatus = 'Ok'; ServerName = $Name; FriendlyName = $Name
        ServerRole = 'Standalone'; ClusterId = $null; ClusterName = $null; ServerManagementErrorCode = $null
        ActiveAuthType = 'ManagedIdentity'; Identity = $true; ApplicationId = '33333333-3333-4333-8333-333333333333'
    }
}

function New-AzSyncGroupObject {
    param([string] $ServiceId = $script:ServiceId, [string] $Name = 'sg1')
    $parts = $ServiceId -split '/'
    [Microsoft.Azure.Commands.StorageSync.Models.PSSyncGroup]@{
        ResourceId = "$ServiceId/syncGroups/$Name"; ResourceGroupName = $parts[4]
        Type = 'Microsoft.StorageSync/storageSyncServices/syncGroups'; SyncGroupName = $Name; StorageSyncServiceName = $parts[8]
        UniqueId = [guid]::NewGuid().ToString(); SyncGroupStatus = '0'
    }
}

function New-AzCloudEndpointObject {
    param([string] $ServiceId = $script:ServiceId, [string] $SyncGroup = 'sg1', [string] $Account = 'sa1', [string] $Share = 'share1')
    $parts = $ServiceId -split '/'
    [Microsoft.Azure.Commands.StorageSync.Models.PSCloudEndpoint]@{
        ResourceId = "$ServiceId/syncGroups/$SyncGroup/cloudEndpoints/55555555-5555-4555-8555-555555555555"; ResourceGroupName = $parts[4]
        Type = 'Microsoft.StorageSync/storageSyncServices/syncGroups/cloudEndpoints'; SyncGroupName = $SyncGroup
        StorageSyncServiceName = $parts[8]; CloudEndpointName = '55555555-5555-4555-8555-555555555555'
        StorageAccountResourceId = "/subscriptions/$($parts[2])/resourceGroups/$($parts[4])/providers/Microsoft.Storage/storageAccounts/$Account"
        AzureFileShareName = $Share; BackupEnabled = $false; ProvisioningState = 'Succeeded'; ChangeEnumerationStatus = $null
    }
}

function New-AzSyncSessionStatusObject {
    param([Nullable[int]] $LastSyncResult)
    [Microsoft.Azure.Commands.StorageSync.Models.PSSyncSessionStatus]@{
        LastSyncResult = $LastSyncResult; LastSyncTimestamp = if ($null -ne $LastSyncResult) { [datetime]::UtcNow.AddHours(-1) } else { $null }
        FilesNotSyncingErrors = [System.Collections.Generic.List[object]]::new()
    }
}

function New-AzServerEndpointObject {
    param([string] $ServiceId = $script:ServiceId, [string] $SyncGroup = 'sg1', [Nullable[int]] $UploadResult = -2134364065)
    $parts = $ServiceId -split '/'
    [Microsoft.Azure.Commands.StorageSync.Models.PSServerEndpoint]@{
        ResourceId = "$ServiceId/syncGroups/$SyncGroup/serverEndpoints/66666666-6666-4666-8666-666666666666"; ResourceGroupName = $parts[4]
        Type = 'Microsoft.StorageSync/storageSyncServices/syncGroups/serverEndpoints'; SyncGroupName = $SyncGroup
        StorageSyncServiceName = $parts[8]; ServerLocalPath = 'D:\data'; ServerEndpointName = '66666666-6666-4666-8666-666666666666'
        ServerResourceId = "$ServiceId/registeredServers/44444444-4444-4444-8444-444444444444"; CloudTiering = 'off'
        VolumeFreeSpacePercent = $null; TierFilesOlderThanDays = $null; ServerName = 'srv1'
        SyncStatus = [Microsoft.Azure.Commands.StorageSync.Models.PSServerEndpointSyncStatus]@{
            UploadHealth = 'Error'; DownloadHealth = 'Healthy'; CombinedHealth = 'Error'; SyncActivity = $null
            UploadStatus = (New-AzSyncSessionStatusObject -LastSyncResult $UploadResult)
            DownloadStatus = (New-AzSyncSessionStatusObject -LastSyncResult 0)
        }
    }
}
