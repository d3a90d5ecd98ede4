// Test-AzFileSyncManagedIdentity -Local: the request's "local" options, the on-server findings as objects,
// and, on Windows only, the File Sync agent's own state (its registry key and the last sync sessions' event
// 9102), read through the session's own PowerShell (Get-ItemProperty, Get-WinEvent) and handed to the core
// as facts; the core judges them. Elsewhere nothing is read, and the core says so.
using System;
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using System.Runtime.InteropServices;

namespace AzFileSync.ManagedIdentity
{
    internal static class LocalState
    {
        // Reads, on Windows: HKLM:\SOFTWARE\Microsoft\Azure\StorageSync (ServerAuth, ServerType, AgentVersion)
        // and its Agent subkey, and the HResult of the newest event 9102 entries of the agent's telemetry
        // log. Unverified here (no Windows host): the value names and the event's HResult field.
        const string ReadAgentScript = @"
$state = @{ syncResults = @(); errors = @() }
foreach ($key in 'HKLM:\SOFTWARE\Microsoft\Azure\StorageSync', 'HKLM:\SOFTWARE\Microsoft\Azure\StorageSync\Agent') {
    $p = Get-ItemProperty -Path $key -ErrorAction SilentlyContinue
    if (-not $p) { continue }
    foreach ($n in 'ServerAuth', 'ServerType', 'AgentVersion') {
        $v = $p.$n
        if ($null -ne $v -and -not $state.ContainsKey($n)) { $state[$n] = [string]$v }
    }
}
if (-not $state.ContainsKey('AgentVersion') -and -not $state.ContainsKey('ServerAuth')) { $state.errors += 'the agent registry key HKLM:\SOFTWARE\Microsoft\Azure\StorageSync (is the File Sync agent installed?)' }
try {
    $events = Get-WinEvent -LogName 'Microsoft-FileSync-Agent/Telemetry' -FilterXPath '*[System[EventID=9102]]' -MaxEvents 5 -ErrorAction Stop
    foreach ($e in $events) {
        $d = ([xml]$e.ToXml()).Event.EventData.Data | Where-Object { $_.Name -eq 'HResult' } | Select-Object -First 1
        if ($d) { $state.syncResults += [int]$d.'#text' }
    }
} catch { $state.errors += ('event 9102 of Microsoft-FileSync-Agent/Telemetry: ' + $_.Exception.Message) }
$state
";

        /// <summary>The agent's state as the core's AgentState takes it, or null off Windows.</summary>
        internal static Dictionary<string, object> ReadAgent(PSCmdlet cmdlet)
        {
            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Windows)) return null;
            var state = new Dictionary<string, object>();
            try
            {
                foreach (var o in cmdlet.InvokeCommand.InvokeScript(ReadAgentScript))
                {
                    var h = o == null ? null : o.BaseObject as Hashtable;
                    if (h == null) continue;
                    if (h["AgentVersion"] != null) state["agentVersion"] = h["AgentVersion"].ToString();
                    if (h["ServerAuth"] != null) state["serverAuth"] = h["ServerAuth"].ToString();
                    if (h["ServerType"] != null) state["serverType"] = h["ServerType"].ToString();
                    var results = new List<object>();
                    foreach (var r in (h["syncResults"] as IEnumerable) ?? new object[0]) results.Add(Convert.ToInt64(PSObject.AsPSObject(r).BaseObject));
                    var errors = new List<object>();
                    foreach (var e in (h["errors"] as IEnumerable) ?? new object[0]) errors.Add(e == null ? "" : e.ToString());
                    state["syncResults"] = results;
                    state["errors"] = errors;
                }
            }
            catch (RuntimeException e)
            {
                state["errors"] = new List<object> { "the agent's state: " + e.Message };
            }
            return state;
        }

        /// <summary>The request's "local" options.</summary>
        internal static Dictionary<string, object> Options(PSCmdlet cmdlet, string[] resolve, string arcKeyDirectory, double? probeTimeoutSeconds)
        {
            var local = new Dictionary<string, object>();
            // The Arc agent's endpoints as this session sees them: on Linux and macOS .NET keeps its own copy of
            // the environment, so a $env: change would not reach the core otherwise.
            string identity = Environment.GetEnvironmentVariable("IDENTITY_ENDPOINT");
            string metadata = Environment.GetEnvironmentVariable("IMDS_ENDPOINT");
            if (!string.IsNullOrWhiteSpace(identity)) local["arcIdentityEndpoint"] = identity;
            if (!string.IsNullOrWhiteSpace(metadata)) local["arcMetadataEndpoint"] = metadata;
            if (resolve != null && resolve.Length > 0) local["resolve"] = resolve;
            if (!string.IsNullOrEmpty(arcKeyDirectory)) local["arcKeyDirectory"] = cmdlet.GetUnresolvedProviderPathFromPSPath(arcKeyDirectory);
            if (probeTimeoutSeconds.HasValue) local["probeTimeoutSeconds"] = probeTimeoutSeconds.Value;
            var agent = ReadAgent(cmdlet);
            if (agent != null) local["agent"] = agent;
            return local;
        }

        /// <summary>One on-server finding as an object (type name AzFileSync.LocalFinding); whether it failed
        /// or could not decide.</summary>
        internal static PSObject Finding(Dictionary<string, object> f, string server, out bool problem)
        {
            var o = new PSObject();
            o.TypeNames.Insert(0, "AzFileSync.LocalFinding");
            string status = Json.Str(f, "status") ?? "";
            problem = status == "fail" || status == "unknown";
            o.Properties.Add(new PSNoteProperty("Check", Json.Str(f, "check")));
            o.Properties.Add(new PSNoteProperty("Status", status.Length == 0 ? status : char.ToUpperInvariant(status[0]) + status.Substring(1)));
            o.Properties.Add(new PSNoteProperty("Server", server));
            o.Properties.Add(new PSNoteProperty("Subject", Json.Str(f, "subject")));
            o.Properties.Add(new PSNoteProperty("Message", Json.Str(f, "message")));
            o.Properties.Add(new PSNoteProperty("Remediation", Json.Str(f, "remediation")));
            o.Properties.Add(new PSNoteProperty("HostName", Json.Str(f, "host")));
            o.Properties.Add(new PSNoteProperty("Port", Json.Long(f, "port")));
            o.Properties.Add(new PSNoteProperty("Step", Json.Str(f, "step")));
            return o;
        }
    }
}
