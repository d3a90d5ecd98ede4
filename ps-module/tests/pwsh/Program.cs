// pwsh for the tests: starts the real PowerShell 7 console host (the same entry point as the shipped pwsh),
// so `pwsh.sh -NoProfile -File x.ps1` and `-Command` behave as pwsh does. The one addition: the Modules
// folder beside this program (where the build puts Pester) is on PSModulePath, as PSHOME/Modules is for an
// installed pwsh.
using System;
using System.IO;

static class Program
{
    static int Main(string[] args)
    {
        string modules = Path.Combine(AppContext.BaseDirectory, "Modules");
        string current = Environment.GetEnvironmentVariable("PSModulePath");
        Environment.SetEnvironmentVariable("PSModulePath",
            string.IsNullOrEmpty(current) ? modules : modules + Path.PathSeparator + current);
        return Microsoft.PowerShell.ConsoleShell.Start("PowerShell (AzFileSync.ManagedIdentity test host)", "", args);
    }
}
