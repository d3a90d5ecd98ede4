# What a PowerShell user sees and holds: PowerShell's words (never the command line's flags), default views
# that fit 80 and 120 columns, objects rather than JSON text, Export's file handling and its result, tab
# completion, help and links, the Gallery package, and every Get-Help example run against the fake ARM.
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
    Import-Module $manifestPath -Force
    $script:findings = @(Test-AzFileSyncManagedIdentity -SnapshotPath $Sample)
    # A command line's option or command, as a PowerShell user must never see one.
    $script:CliWords = '(?<![\w-])--[a-z]|filesync-identity [a-z]|\benable-identity\b'
    $script:asm = [AzFileSync.ManagedIdentity.FileSyncFinding].Assembly
    $script:wording = $asm.GetType('AzFileSync.ManagedIdentity.Wording', $false)
    $script:flags = [System.Reflection.BindingFlags]'Static,NonPublic'
}

AfterAll {
    Remove-Module AzFileSync.ManagedIdentity -ErrorAction SilentlyContinue
}

Describe 'PowerShell words, not command-line flags' {
    It 'has PowerShell words for every phrase the core lists, and none of them is a flag' {
        $wording | Should -Not -BeNullOrEmpty
        $wording.GetMethod('Unworded', $flags).Invoke($null, @()) | Should -BeNullOrEmpty
        $pairs = $wording.GetMethod('Pairs', $flags).Invoke($null, @())
        $pairs.Count | Should -BeGreaterThan 10
        foreach ($p in $pairs) {
            # Reword looks only at texts with one of these in them.
            ($p.Key.Contains('--') -or $p.Key.Contains('identity')) | Should -BeTrue -Because $p.Key
            $p.Value | Should -Not -Match $CliWords -Because $p.Key
            $p.Value | Should -Not -Match '["\\]' -Because 'the words go into JSON text as they are'
        }
        $reword = $wording.GetMethod('Reword', $flags)
        $reword.Invoke($null, @("sa (x): Not planned: storage network and key settings change only with --include-security-posture-changes.")) |
            Should -Be 'sa (x): Not planned: storage network and key settings change only with -IncludeSecurityPostureChange.'
    }

    It 'findings of the sample name cmdlets: remediations, commands and reasons hold no flag' {
        $texts = $findings | ForEach-Object { $_.Message; $_.Remediation; $_.Reason; $_.Command } | Where-Object { $_ }
        # Another tool's command (azcmagent connect --resource-group ...) keeps its own options.
        $texts | Where-Object { $_ -notmatch '^(az|azcmagent) ' -and $_ -match $CliWords } | Should -BeNullOrEmpty
        # The sample's findings do ask for these, in PowerShell's words.
        ($findings.Remediation -match 'Enable-AzFileSyncManagedIdentity').Count | Should -BeGreaterThan 0
    }

    It 'the help of <_> names no command-line flag' -ForEach $commands {
        $text = Get-Help $_ -Full | Out-String -Width 200
        $text | Should -Not -Match $CliWords
    }

    It 'an error of the core names the cmdlet to use' {
        $path = Join-Path $TestDrive 'report.json'
        # A report in the core's JSON shape (findings and summary), as the command line writes one.
        '{"findings": [], "summary": {"total": 0}}' | Set-Content $path
        $err = $null
        Test-AzFileSyncManagedIdentity -SnapshotPath $path -ErrorVariable err -ErrorAction SilentlyContinue | Out-Null
        $err.Count | Should -Be 1
        $err[0].Exception.Message | Should -BeLike '*Export-AzFileSyncSnapshot*'
        $err[0].Exception.Message | Should -Not -Match $CliWords
    }
}

Describe 'default views' {
    It 'Status is an enum: Where-Object Status -eq Fail and tab completion work' {
        $findings[0].Status.GetType().FullName | Should -Be 'AzFileSync.ManagedIdentity.FileSyncStatus'
        [enum]::GetNames([AzFileSync.ManagedIdentity.FileSyncStatus]) | Should -Be @('Pass', 'Fail', 'Warning', 'NotApplicable', 'Unknown')
        $fail = @($findings | Where-Object Status -EQ Fail)
        $fail.Count | Should -BeGreaterThan 0
        $fail.Count | Should -Be @($findings | Where-Object { "$($_.Status)" -eq 'Fail' }).Count
        @($findings | Where-Object Status -EQ NotApplicable).Count | Should -BeGreaterThan 0
        $completions = (TabExpansion2 '[AzFileSync.ManagedIdentity.FileSyncStatus]::N').CompletionMatches.CompletionText
        $completions | Should -Contain 'NotApplicable'
    }

    It 'the findings table fits <_> columns, shows every message, and cuts no name, id, date or number' -ForEach 80, 120 {
        $width = $_
        $text = $findings | Out-String -Width $width
        $lines = $text -split "`r?`n"
        $lines | Where-Object { $_.Length -gt $width } | Should -BeNullOrEmpty
        $lines | Where-Object { $_ -match '^Cause\s+Status\s+Resource\s+Message' } | Should -Not -BeNullOrEmpty
        # Every word of every message and resource name is on one line: nothing is cut inside a word.
        $words = @($text -split '\s+' | Where-Object { $_ })
        $set = [System.Collections.Generic.HashSet[string]]::new([string[]]$words)
        # Only a word longer than its column (26 for names, 38 for messages: a GUID in parentheses) is broken,
        # after a '/', '.' or the like.
        foreach ($f in $findings) {
            foreach ($part in @(@($f.ResourceName, 26), @($f.Message, 38))) {
                foreach ($w in ($part[0] -split '\s+' | Where-Object { $_ -and $_.Length -le $part[1] })) {
                    $set.Contains($w) | Should -BeTrue -Because "'$w' of '$($f.Check)' on $($f.ResourceName) at $width columns"
                }
            }
        }
        # Object ids whole.
        $text | Should -Match 'a1b2c3d4-0001-4e5f-8a9b-0c1d2e3f4a01'
        # The dates of the sample's messages, whole.
        $text | Should -Match '2027-01-12'
        $text | Should -Match '2026-11-22 08:55 UTC'
    }

    It 'Format-Table -View Wide fits 120 columns with the messages' {
        $text = $findings | Format-Table -View Wide | Out-String -Width 120
        ($text -split "`r?`n" | Where-Object { $_.Length -gt 120 }) | Should -BeNullOrEmpty
        $text | Should -Match 'Agent 20\.0\.0\.0 supports managed identities\.'
    }

    It 'Format-List shows a finding with its ids, codes and fix' {
        $f = $findings | Where-Object { $_.Status -eq 'Fail' -and $_.ErrorCodes } | Select-Object -First 1
        $text = $f | Format-List | Out-String -Width 80
        $text | Should -Match 'ResourceId\s+:\s+/subscriptions/'
        $text | Should -Match ([regex]::Escape($f.ErrorCodes[0]))
        $text | Should -Match 'Remediation'
    }
}

Describe 'Evidence as objects' {
    It 'Evidence and its parts are objects with properties, not JSON text' {
        $tenant = $findings | Where-Object Check -EQ 'identity.tenant' | Select-Object -First 1
        $tenant.Evidence | Should -BeOfType [psobject]
        $tenant.Evidence.Tenants.GetType().IsArray | Should -BeTrue
        $lock = $findings | Where-Object Check -EQ 'storage.lock' | Select-Object -First 1
        $lock.Evidence.Locks | Should -Not -BeOfType [string]
        # No part of any finding's evidence is a JSON document in a string.
        function Get-Leaf($o) {
            if ($o -is [psobject] -and $o -isnot [string] -and $o.PSObject.Properties.Count -and $o -isnot [ValueType]) {
                foreach ($p in $o.PSObject.Properties) { Get-Leaf $p.Value }
            } elseif ($o -is [array]) { foreach ($x in $o) { Get-Leaf $x } } else { $o }
        }
        foreach ($f in $findings) {
            Get-Leaf $f.Evidence | Where-Object { $_ -is [string] -and $_ -match '^\s*[\[{]' } | Should -BeNullOrEmpty -Because $f.Check
        }
    }
}

Describe 'discoverability' {
    It '-Check completes check ids and areas' {
        $m = (TabExpansion2 'Test-AzFileSyncManagedIdentity -Check server.a').CompletionMatches
        $m.CompletionText | Should -Contain 'server.auth-mode'
        $m.CompletionText | Should -Contain 'server.agent-version'
        (TabExpansion2 'Test-AzFileSyncManagedIdentity -Check stor').CompletionMatches.CompletionText | Should -Contain 'storage.*'
        $all = (TabExpansion2 'Test-AzFileSyncManagedIdentity -Check ').CompletionMatches.CompletionText
        $all | Should -Contain 'cloud-endpoint.*'
        $all | Should -Contain 'sync.live-errors'
        # What it offers, the cmdlet takes.
        @(Test-AzFileSyncManagedIdentity -SnapshotPath $Sample -Check 'server.*').Check | Select-Object -Unique | ForEach-Object { $_ | Should -BeLike 'server.*' }
    }

    It '-ResourceGroupName completes from Get-AzResourceGroup, in every cmdlet that takes it' {
        function global:Get-AzResourceGroup { [pscustomobject]@{ ResourceGroupName = 'rg-sync' }; [pscustomobject]@{ ResourceGroupName = 'rg-other' } }
        try {
            foreach ($c in 'Test-AzFileSyncManagedIdentity', 'Repair-AzFileSyncPermission', 'Enable-AzFileSyncManagedIdentity', 'Export-AzFileSyncSnapshot') {
                (TabExpansion2 "$c -ResourceGroupName rg-o").CompletionMatches.CompletionText | Should -Be @('rg-other') -Because $c
            }
        } finally { Remove-Item Function:\Get-AzResourceGroup }
    }

    It '-ResourceId completes, and the help of <_> shows each parameter set as the cmdlet has it' -ForEach $commands {
        $name = $_
        $command = Get-Command $name
        $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
        $items = @((Get-Help $name).Syntax.SyntaxItem)
        foreach ($set in $command.ParameterSets) {
            # Parameters only piped objects give (DontShow) are documented but kept out of the syntax.
            $shown = $set.Parameters | Where-Object { -not ($_.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] -and $_.DontShow }) }
            $want = @($shown.Name | Where-Object { $_ -notin $common } | Sort-Object)
            $match = $items | Where-Object { (@($_.Parameter.Name | Where-Object { $_ -notin $common } | Sort-Object) -join ',') -eq ($want -join ',') }
            $match | Should -Not -BeNullOrEmpty -Because "the help of $name needs the set $($set.Name): $($want -join ', ')"
        }
        if ($command.Parameters.ContainsKey('ResourceId')) {
            (TabExpansion2 "$name -ResourceI").CompletionMatches.CompletionText | Should -Contain '-ResourceId'
        }
    }

    It 'has a HelpUri per cmdlet under the manifest''s ProjectUri, which the help''s online version names' -ForEach $commands {
        $manifest = Import-PowerShellDataFile $manifestPath
        $project = $manifest.PrivateData.PSData.ProjectUri
        $project | Should -Match '^https://'
        $uri = (Get-Command $_).HelpUri
        $uri | Should -BeLike "$project/*/$_.md"
        $doc = Get-Content (Join-Path $Repo "ps-module/docs/$_.md") -Raw
        $doc | Should -Match ("online version: " + [regex]::Escape($uri))
    }

    It 'the manifest has a ProjectUri, a LicenseUri, the license file and tags' {
        $manifest = Import-PowerShellDataFile $manifestPath
        $data = $manifest.PrivateData.PSData
        $data.ProjectUri | Should -Not -BeNullOrEmpty
        $data.LicenseUri | Should -BeLike "$($data.ProjectUri)/*LICENSE"
        Test-Path (Join-Path $ModulePath 'LICENSE') | Should -BeTrue
        $data.Tags | Should -Contain 'AzureFileSync'
        $data.Tags | Should -Contain 'PSEdition_Core'
        $data.Tags | Should -Contain 'PSEdition_Desktop'
    }
}

Describe 'the PowerShell Gallery package' {
    BeforeAll {
        $script:nupkg = Get-ChildItem (Split-Path $ModulePath) -Filter 'AzFileSync.ManagedIdentity.*.nupkg' | Select-Object -First 1
    }

    It 'build.sh --package wrote a .nupkg with the Gallery''s nuspec fields' {
        $nupkg | Should -Not -BeNullOrEmpty -Because 'run.sh builds with --package'
        $manifest = Import-PowerShellDataFile $manifestPath
        $nupkg.Name | Should -Be "AzFileSync.ManagedIdentity.$($manifest.ModuleVersion).nupkg"
        $dir = Join-Path $TestDrive 'unpacked'
        [System.IO.Compression.ZipFile]::ExtractToDirectory($nupkg.FullName, $dir)
        [xml]$spec = Get-Content (Join-Path $dir 'AzFileSync.ManagedIdentity.nuspec') -Raw
        $m = $spec.package.metadata
        $m.id | Should -Be 'AzFileSync.ManagedIdentity'
        $m.version | Should -Be $manifest.ModuleVersion
        $m.authors | Should -Be $manifest.Author
        $m.description | Should -Be $manifest.Description
        $m.projectUrl | Should -Be $manifest.PrivateData.PSData.ProjectUri
        $m.license.'#text' | Should -Be 'MIT'
        $tags = $m.tags -split ' '
        foreach ($t in 'PSModule', 'PSEdition_Core', 'PSEdition_Desktop', 'PSIncludes_Cmdlet') { $tags | Should -Contain $t }
        foreach ($c in $manifest.CmdletsToExport) { $tags | Should -Contain "PSCmdlet_$c"; $tags | Should -Contain "PSCommand_$c" }
        Test-Path -LiteralPath (Join-Path $dir '[Content_Types].xml') | Should -BeTrue
        Test-Path (Join-Path $dir '_rels/.rels') | Should -BeTrue
        # The module folder is the package's root.
        foreach ($f in 'AzFileSync.ManagedIdentity.psd1', 'AzFileSync.ManagedIdentity.dll', 'AzFileSync.ManagedIdentity.format.ps1xml',
            'en-US/AzFileSync.ManagedIdentity.dll-Help.xml', 'linux-x64/filesync_identity.so', 'LICENSE') {
            Test-Path (Join-Path $dir $f) | Should -BeTrue -Because $f
        }
    }

    It 'unpacked as a module folder, it imports in a new PowerShell and runs a cmdlet' {
        $folder = Join-Path $TestDrive 'modules/AzFileSync.ManagedIdentity'
        [System.IO.Compression.ZipFile]::ExtractToDirectory($nupkg.FullName, $folder)
        # What Install-Module leaves out of the installed folder.
        Remove-Item -Recurse -Force -LiteralPath (Join-Path $folder '_rels'), (Join-Path $folder 'AzFileSync.ManagedIdentity.nuspec'), (Join-Path $folder '[Content_Types].xml')
        $pwsh = (Get-Process -Id $PID).Path
        $script = "Import-Module '$folder/AzFileSync.ManagedIdentity.psd1' -ErrorAction Stop; (Get-Module AzFileSync.ManagedIdentity).ModuleBase; (Get-AzFileSyncErrorInfo 0x80c8305f).Name"
        $out = & $pwsh -NoProfile -NonInteractive -Command $script 2>&1
        $LASTEXITCODE | Should -Be 0 -Because ($out -join "`n")
        $out[0] | Should -Be $folder
        $out[1] | Should -Be 'ECS_E_EXTERNAL_STORAGE_ACCOUNT_AUTHORIZATION_FAILED'
    }
}

Describe 'against the fake ARM' {
    BeforeAll {
        if (-not $FakeArm) { throw 'these tests need -FakeArm (the fake-arm binary of tests/fake-arm)' }
    }

    Context 'Export-AzFileSyncSnapshot' {
        BeforeAll {
            $script:fake = Start-FakeArm
            Install-AzStandIn -Url $fake.Url
        }
        AfterAll {
            Stop-FakeArm $fake
            Remove-AzStandIn
        }

        It 'takes -Path by position, also with piped objects, and says what it saved' {
            Push-Location $TestDrive
            try {
                $r = Export-AzFileSyncSnapshot 'one.json' -ResourceId $ServiceId
                $r.GetType().FullName | Should -Be 'AzFileSync.ManagedIdentity.FileSyncSnapshotInfo'
                $r.Path | Should -Be (Join-Path $TestDrive 'one.json')
                $r.StorageSyncServiceName | Should -Be 'svc1'
                $r.ResourceGroupName | Should -Be 'rg-sync'
                $r.SubscriptionId | Should -Be $Sub
                $r.ResourceId | Should -Be $ServiceId
                ([datetime]::UtcNow - $r.CollectedAt).TotalMinutes | Should -BeLessThan 10
                $r.ServiceCount | Should -Be 1
                $r.ServerCount | Should -Be 2
                $r.SyncGroupCount | Should -Be 2
                $r.StorageAccountCount | Should -Be 2
                $r.RoleAssignmentCount | Should -BeGreaterThan 0
                $r.Length | Should -Be (Get-Item 'one.json').Length
                $piped = New-AzStorageSyncServiceObject | Export-AzFileSyncSnapshot 'two.json'
                $piped.Path | Should -Be (Join-Path $TestDrive 'two.json')
                $piped.StorageSyncServiceName | Should -Be 'svc1'
                Export-AzFileSyncSnapshot 'three.json' -ResourceGroupName rg-sync -Name svc1 | Should -Not -BeNullOrEmpty
                # What Export returned stands for its file where a snapshot is taken.
                @(Compare-AzFileSyncSnapshot -ReferenceSnapshot $r -DifferenceSnapshot $piped).Count | Should -Be 0
            } finally { Pop-Location }
        }

        It 'refuses to overwrite a file without -Force, and keeps it; -Force overwrites' {
            $path = Join-Path $TestDrive 'kept.json'
            'not a snapshot' | Set-Content $path
            Clear-ArmLog $fake
            # As Export-Clixml -NoClobber: a terminating error.
            $err = { Export-AzFileSyncSnapshot $path -ResourceId $ServiceId } | Should -Throw -ErrorId 'AzFileSync.FileExists,*' -PassThru
            $err.CategoryInfo.Category | Should -Be 'ResourceExists'
            $err.Exception.Message | Should -BeLike '*-Force*'
            Get-Content $path | Should -Be 'not a snapshot'
            # Nothing was read either.
            (Get-ArmRequest $fake).Count | Should -Be 0
            $r = Export-AzFileSyncSnapshot $path -ResourceId $ServiceId -Force
            $r.Path | Should -Be $path
            (Get-Content $path -Raw | ConvertFrom-Json).target.name | Should -Be 'svc1'
        }
    }

    Context 'PowerShell words in plans and findings' {
        BeforeAll {
            # sa1 behind a firewall that keeps trusted services out, with shared key access off: findings a
            # repair only notes, since it changes security settings only when asked to.
            $t = Get-Content (Join-Path $PSScriptRoot '../topology.json') -Raw | ConvertFrom-Json
            $sa = $t.storageAccounts | Where-Object name -EQ 'sa1'
            $sa | Add-Member networkAcls ([pscustomobject]@{ defaultAction = 'Deny'; bypass = 'None' })
            $sa | Add-Member allowSharedKeyAccess $false
            $path = Join-Path $TestDrive 'posture-topology.json'
            $t | ConvertTo-Json -Depth 30 | Set-Content $path
            $script:fake = Start-FakeArm -Topology $path
            Install-AzStandIn -Url $fake.Url
        }
        AfterAll {
            Stop-FakeArm $fake
            Remove-AzStandIn
        }

        It 'Repair''s notes, Enable''s warnings and the findings name cmdlets and parameters, never flags' {
            $w = $null; $w2 = $null
            Repair-AzFileSyncPermission -ResourceId $ServiceId -WhatIf -WarningVariable w -WarningAction SilentlyContinue 6>$null | Out-Null
            Enable-AzFileSyncManagedIdentity -ResourceId $ServiceId -WhatIf -WarningVariable w2 -WarningAction SilentlyContinue 6>$null | Out-Null
            $f = Test-AzFileSyncManagedIdentity -ResourceId $ServiceId -WarningVariable w3 -WarningAction SilentlyContinue
            $texts = @($w.Message) + @($w2.Message) + @($w3.Message) + @($f | ForEach-Object { $_.Message; $_.Remediation; $_.Reason; $_.Command })
            $texts | Where-Object { $_ -and $_ -notmatch '^(az|azcmagent) ' -and $_ -match $CliWords } | Should -BeNullOrEmpty
            $w.Message | Where-Object { $_ -like 'storage.trusted-services (sa1):*only with -IncludeSecurityPostureChange.' } | Should -Not -BeNullOrEmpty
            $f.Remediation | Where-Object { $_ -like '*(Repair-AzFileSyncPermission grants every missing role)*' } | Should -Not -BeNullOrEmpty
            (Get-ArmWrite $fake).Count | Should -Be 0
        }
    }

    Context 'the Get-Help examples' {
        BeforeAll {
            # The examples name rg-filesync and contoso-sync: the fake's deployment under those names.
            $topology = (Get-Content (Join-Path $PSScriptRoot '../topology.json') -Raw) -replace 'rg-sync', 'rg-filesync' -replace '\bsvc1\b', 'contoso-sync'
            # The examples' management group mg-contoso holds both subscriptions; the caller reads it.
            $t = $topology | ConvertFrom-Json
            $t | Add-Member managementGroups @([pscustomobject]@{ name = 'mg-contoso'; subscriptions = @($Sub, $OtherSub) })
            $t.roleAssignments += [pscustomobject]@{
                name = '77777777-7777-4777-8777-7777777777ab'; scope = '/providers/Microsoft.Management/managementGroups/mg-contoso'
                roleDefinitionId = '8e3af657-a8ff-443c-a75c-2fe8c4bcb635'; principalId = '11111111-1111-4111-8111-111111111111'
            }
            $path = Join-Path $TestDrive 'examples-topology.json'
            Set-Content $path ($t | ConvertTo-Json -Depth 20)
            $script:fake = Start-FakeArm -Topology $path
            Install-AzStandIn -Url $fake.Url
            $script:exampleId = "/subscriptions/$Sub/resourceGroups/rg-filesync/providers/Microsoft.StorageSync/storageSyncServices/contoso-sync"
            # Az.StorageSync's cmdlets the examples pipe from, returning its real types.
            function global:Get-AzStorageSyncService { param($ResourceGroupName, $Name) New-AzStorageSyncServiceObject -Id $script:exampleId }
            function global:Get-AzStorageSyncServerEndpoint { param($ResourceGroupName, $StorageSyncServiceName, $SyncGroupName) New-AzServerEndpointObject -ServiceId $script:exampleId }
            $script:workdir = Join-Path $TestDrive 'examples'
            New-Item -ItemType Directory $workdir | Out-Null
            foreach ($f in 'before.json', 'after.json', 'contoso.snapshot.json') {
                Export-AzFileSyncSnapshot (Join-Path $workdir $f) -ResourceId $exampleId | Out-Null
            }
        }
        AfterAll {
            Stop-FakeArm $fake
            Remove-AzStandIn
            Remove-Item Function:\Get-AzStorageSyncService, Function:\Get-AzStorageSyncServerEndpoint -ErrorAction SilentlyContinue
        }

        It 'runs every example of <_> without an error' -ForEach $commands {
            $examples = @((Get-Help $_).Examples.Example)
            $examples.Count | Should -BeGreaterThan 0
            Push-Location $workdir
            try {
                foreach ($e in $examples) {
                    # -Confirm asks, and this session cannot answer: the examples run confirmed. -Force
                    # overwrites the file an example writes.
                    # -Local reads the machine it runs on (its Arc agent or VM metadata): Local.Tests.ps1 runs
                    # that form against the fake Arc agent; here it would only say this is no registered server.
                    if ($e.Code -match '(?<![\w-])-Local\b') { continue }
                    $code = $e.Code -replace '-Confirm\b(?!:)', '-Confirm:$false'
                    if ($code -match '^Export-AzFileSyncSnapshot') { $code = $code -replace '(?m)^(Export-AzFileSyncSnapshot .*)$', '$1 -Force' }
                    $id = $exampleId
                    $sb = [scriptblock]::Create("param(`$id) `$ErrorActionPreference = 'Stop'; `$WarningPreference = 'SilentlyContinue'; $code")
                    { & $sb $id 6>$null | Out-Null } | Should -Not -Throw -Because $e.Title
                }
            } finally { Pop-Location }
        }
    }
}
