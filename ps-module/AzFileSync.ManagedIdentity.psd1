@{
    RootModule           = 'AzFileSync.ManagedIdentity.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '3c1f6e0a-8a57-4d0b-9a43-6f2b1f5e9d21'
    Author               = 'AzFileSync.ManagedIdentity contributors'
    CompanyName          = 'AzFileSync.ManagedIdentity contributors'
    Copyright            = '(c) AzFileSync.ManagedIdentity contributors. MIT License.'
    Description          = 'Diagnose and repair Azure File Sync managed-identity deployments: read-only checks of identities, role assignments and storage settings, explanations of File Sync error codes, and planned, confirmable repairs. Reuses the Az PowerShell session (Connect-AzAccount).'
    PowerShellVersion    = '5.1'
    CompatiblePSEditions = @('Desktop', 'Core')
    # Az.Accounts is used when present (Get-AzContext, Get-AzAccessToken) but deliberately not required:
    # RequiredModules would load it on import and make the import slow.
    FormatsToProcess     = @('AzFileSync.ManagedIdentity.format.ps1xml')
    CmdletsToExport      = @(
        'Test-AzFileSyncManagedIdentity'
        'Repair-AzFileSyncPermission'
        'Enable-AzFileSyncManagedIdentity'
        'Get-AzFileSyncErrorInfo'
        'Export-AzFileSyncSnapshot'
        'Compare-AzFileSyncSnapshot'
    )
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('Azure', 'AzureFileSync', 'StorageSync', 'ManagedIdentity', 'RBAC', 'Diagnostics', 'PSEdition_Desktop', 'PSEdition_Core', 'Windows', 'Linux')
            LicenseUri   = 'https://github.com/azfilesync/AzFileSync.ManagedIdentity/blob/main/LICENSE'
            ProjectUri   = 'https://github.com/azfilesync/AzFileSync.ManagedIdentity'
            ReleaseNotes = 'First release.'
        }
    }
}
