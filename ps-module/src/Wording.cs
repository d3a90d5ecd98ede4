// PowerShell's words for the commands and options the core's texts name. The core writes the command
// line's words and lists each such phrase with an id (src/wording.rs, the `wording` request); here each id
// gets the cmdlet or parameter a PowerShell user would use, and every text the module shows (results,
// warnings, errors) has the phrases replaced. A phrase the core lists without words here fails the module's
// tests (Pester: "words every phrase").
using System;
using System.Collections.Generic;
using System.Text;
using AzFileSync.ManagedIdentity.Native;

namespace AzFileSync.ManagedIdentity
{
    internal static class Wording
    {
        /// <summary>By the core's phrase id.</summary>
        internal static readonly Dictionary<string, string> PowerShell = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            { "graph-endpoint-and-token", "a token for Graph (-GraphAccessToken, from Get-AzAccessToken -ResourceTypeName MSGraph -AsSecureString) at the Graph endpoint of the Az environment" },
            { "graph-access-token-or-env", "(-GraphAccessToken, from Get-AzAccessToken -ResourceTypeName MSGraph -AsSecureString)" },
            { "save-snapshot-or-export", "Export-AzFileSyncSnapshot" },
            { "save-snapshot", "Export-AzFileSyncSnapshot" },
            { "apply-plan-file", "apply it with the command line that wrote it" },
            { "plan-file", "(a repair plan of the command line)" },
            { "report-file", "(a report of the command line)" },
            { "target-options", "-ResourceId, or -ResourceGroupName with -Name (and -SubscriptionId, or the subscription of the Az context)" },
            { "name-needs-resource-group", "-Name needs -ResourceGroupName" },
            { "fresh-access-token", "pass a fresh -AccessToken" },
            { "arm-endpoint", "-ArmEndpoint (or the Az environment's ResourceManagerUrl)" },
            { "enable-identity", "Enable-AzFileSyncManagedIdentity" },
            { "enable-identity-again", "run Enable-AzFileSyncManagedIdentity again" },
            { "enable-identity-plan", "Enable-AzFileSyncManagedIdentity" },
            { "test-local", "Test-AzFileSyncManagedIdentity -Local" },
            { "repair", "Repair-AzFileSyncPermission" },
            { "explain", "Get-AzFileSyncErrorInfo" },
            { "include-security-posture-changes", "-IncludeSecurityPostureChange" },
            { "storage-sync-principal-id", "-StorageSyncPrincipalId" },
            { "graph-access-token", "-GraphAccessToken" },
            { "graph-endpoint", "the Graph endpoint of the Az environment" },
            { "resolve", "-Resolve" },
        };

        static readonly object Gate = new object();
        static List<KeyValuePair<string, string>> _pairs;
        static List<string> _unworded;

        /// <summary>The core's phrases as (command line, PowerShell) pairs, in the core's order; read once.</summary>
        static List<KeyValuePair<string, string>> Pairs()
        {
            lock (Gate)
            {
                if (_pairs != null) return _pairs;
                var pairs = new List<KeyValuePair<string, string>>();
                var unworded = new List<string>();
                using (var session = SessionHandle.Open("{}"))
                using (var request = RequestHandle.Start(session, "{\"operation\":\"wording\"}"))
                {
                    while (!request.Wait(1000)) { }
                    string json;
                    if (request.TakeResult(out json) == FsiResult.Ok)
                    {
                        foreach (var item in Json.Parse(json) as List<object> ?? new List<object>())
                        {
                            var phrase = item as Dictionary<string, object>;
                            string id = Json.Str(phrase, "id");
                            string cli = Json.Str(phrase, "cli");
                            if (string.IsNullOrEmpty(id) || string.IsNullOrEmpty(cli)) continue;
                            string words;
                            if (PowerShell.TryGetValue(id, out words)) pairs.Add(new KeyValuePair<string, string>(cli, words));
                            else unworded.Add(id);
                        }
                    }
                }
                _unworded = unworded;
                _pairs = pairs;
                return pairs;
            }
        }

        /// <summary>The core's phrase ids that have no PowerShell words here (empty when the two agree).</summary>
        internal static string[] Unworded()
        {
            Pairs();
            return _unworded.ToArray();
        }

        [ThreadStatic] static bool _reading;

        /// <summary>The text (or a JSON document: no phrase and no PowerShell word holds a character JSON
        /// escapes) with every phrase of the command line in PowerShell's words.</summary>
        internal static string Reword(string text)
        {
            // Every phrase holds "--" or "identity" (a test of the module holds them to it).
            if (string.IsNullOrEmpty(text) || _reading
                || (text.IndexOf("--", StringComparison.Ordinal) < 0 && text.IndexOf("identity", StringComparison.Ordinal) < 0))
            {
                return text;
            }
            List<KeyValuePair<string, string>> pairs;
            _reading = true;
            try
            {
                pairs = Pairs();
            }
            catch (FileSyncNativeException)
            {
                return text;
            }
            finally
            {
                _reading = false;
            }
            StringBuilder sb = null;
            foreach (var pair in pairs)
            {
                if ((sb == null ? text : sb.ToString()).IndexOf(pair.Key, StringComparison.Ordinal) < 0) continue;
                if (sb == null) sb = new StringBuilder(text);
                sb.Replace(pair.Key, pair.Value);
            }
            return sb == null ? text : sb.ToString();
        }
    }
}
