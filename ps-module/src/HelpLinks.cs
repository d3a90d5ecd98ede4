// Where each cmdlet's help lives online (Get-Help -Online, the cmdlets' HelpUri): the help pages of the
// project's repository, the same Markdown the module's help file is built from. The manifest's ProjectUri
// names the same repository (a test holds them together).
namespace AzFileSync.ManagedIdentity
{
    internal static class HelpLinks
    {
        internal const string Project = "https://github.com/azfilesync/AzFileSync.ManagedIdentity";
        const string Docs = Project + "/blob/main/ps-module/docs/";

        internal const string Test = Docs + "Test-AzFileSyncManagedIdentity.md";
        internal const string Repair = Docs + "Repair-AzFileSyncPermission.md";
        internal const string Enable = Docs + "Enable-AzFileSyncManagedIdentity.md";
        internal const string ErrorInfo = Docs + "Get-AzFileSyncErrorInfo.md";
        internal const string Export = Docs + "Export-AzFileSyncSnapshot.md";
        internal const string Compare = Docs + "Compare-AzFileSyncSnapshot.md";
    }
}
