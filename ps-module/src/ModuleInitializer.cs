// Loads the native library by full path when the module is imported. PowerShell 7 finds
// <module>/<rid>/filesync_identity.<ext> by itself; Windows PowerShell 5.1 does not, so on Windows the DLL is
// loaded here first and the [DllImport("filesync_identity")] declarations then bind to the loaded module.
using System;
using System.IO;
using System.Management.Automation;
using System.Runtime.InteropServices;

namespace AzFileSync.ManagedIdentity
{
    public sealed class ModuleInitializer : IModuleAssemblyInitializer
    {
        public void OnImport()
        {
            if (Environment.OSVersion.Platform != PlatformID.Win32NT) return;
            string dir = Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location);
            if (IntPtr.Size != 8)
            {
                throw new PlatformNotSupportedException("AzFileSync.ManagedIdentity needs a 64-bit PowerShell (the native library is built for win-x64).");
            }
            string path = Path.Combine(Path.Combine(dir, "win-x64"), "filesync_identity.dll");
            if (!File.Exists(path))
            {
                throw new FileNotFoundException("The native library of AzFileSync.ManagedIdentity is missing: reinstall the module.", path);
            }
            if (LoadLibraryW(path) == IntPtr.Zero)
            {
                throw new DllNotFoundException(string.Format("Could not load {0} (Windows error {1}).", path, Marshal.GetLastWin32Error()));
            }
        }

        [DllImport("kernel32.dll", CharSet = CharSet.Unicode, SetLastError = true)]
        static extern IntPtr LoadLibraryW(string path);
    }
}
