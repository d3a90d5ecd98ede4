// Tab completion: -Check offers the core's check ids (and each area as 'area.*'), -ResourceGroupName the
// resource groups of the Az session (Get-AzResourceGroup, when Az.Resources is there).
using System;
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using System.Management.Automation.Language;
using AzFileSync.ManagedIdentity.Native;

namespace AzFileSync.ManagedIdentity
{
    /// <summary>Completes -Check: every check id the core has, and 'area.*' for each area, with its title as
    /// the tooltip.</summary>
    public sealed class CheckIdCompleter : IArgumentCompleter
    {
        static readonly object Gate = new object();
        static List<KeyValuePair<string, string>> _checks;

        /// <summary>(id or 'area.*', tooltip) from the core's listChecks, read once per process.</summary>
        internal static List<KeyValuePair<string, string>> Checks()
        {
            lock (Gate)
            {
                if (_checks != null) return _checks;
                var list = new List<KeyValuePair<string, string>>();
                var areas = new SortedDictionary<string, int>(StringComparer.Ordinal);
                using (var session = SessionHandle.Open("{}"))
                using (var request = RequestHandle.Start(session, "{\"operation\":\"listChecks\"}"))
                {
                    while (!request.Wait(1000)) { }
                    string json;
                    if (request.TakeResult(out json) != FsiResult.Ok) return list;
                    foreach (var item in Json.Parse(json) as List<object> ?? new List<object>())
                    {
                        var check = item as Dictionary<string, object>;
                        string id = Json.Str(check, "id");
                        if (string.IsNullOrEmpty(id)) continue;
                        list.Add(new KeyValuePair<string, string>(id, Json.Str(check, "title") ?? id));
                        int dot = id.IndexOf('.');
                        if (dot > 0)
                        {
                            string area = id.Substring(0, dot);
                            int n;
                            areas[area] = areas.TryGetValue(area, out n) ? n + 1 : 1;
                        }
                    }
                }
                foreach (var a in areas)
                {
                    list.Add(new KeyValuePair<string, string>(a.Key + ".*",
                        string.Format(System.Globalization.CultureInfo.InvariantCulture, "Every check of the {0} area ({1} check{2})", a.Key, a.Value, a.Value == 1 ? "" : "s")));
                }
                _checks = list;
                return list;
            }
        }

        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            string word = Completion.Unquote(wordToComplete);
            List<KeyValuePair<string, string>> checks;
            try
            {
                checks = Checks();
            }
            catch (Exception e) when (e is FileSyncNativeException || e is DllNotFoundException || e is EntryPointNotFoundException)
            {
                yield break;
            }
            foreach (var c in checks)
            {
                if (c.Key.StartsWith(word, StringComparison.OrdinalIgnoreCase))
                {
                    yield return new CompletionResult(Completion.Quote(c.Key), c.Key, CompletionResultType.ParameterValue, c.Value);
                }
            }
        }
    }

    /// <summary>Completes -ResourceGroupName with the resource groups Get-AzResourceGroup lists (Az.Resources,
    /// in the current Az context); nothing when that command is not there.</summary>
    public sealed class ResourceGroupNameCompleter : IArgumentCompleter
    {
        /// <summary>The script run in the caller's runspace (a constant, so a host can recognise it).</summary>
        internal const string ListScript =
            "if (Get-Command Get-AzResourceGroup -ErrorAction SilentlyContinue) { Get-AzResourceGroup -ErrorAction SilentlyContinue -WarningAction SilentlyContinue | ForEach-Object { [string]$_.ResourceGroupName } }";

        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            string word = Completion.Unquote(wordToComplete);
            var names = new SortedSet<string>(StringComparer.OrdinalIgnoreCase);
            try
            {
                using (var ps = PowerShell.Create(RunspaceMode.CurrentRunspace))
                {
                    ps.AddScript(ListScript);
                    foreach (var o in ps.Invoke())
                    {
                        string name = o != null ? o.BaseObject as string : null;
                        if (!string.IsNullOrEmpty(name)) names.Add(name);
                    }
                }
            }
            catch (RuntimeException)
            {
                yield break;
            }
            foreach (var name in names)
            {
                if (name.StartsWith(word, StringComparison.OrdinalIgnoreCase))
                {
                    yield return new CompletionResult(Completion.Quote(name), name, CompletionResultType.ParameterValue, name);
                }
            }
        }
    }

    static class Completion
    {
        internal static string Unquote(string word)
        {
            if (string.IsNullOrEmpty(word)) return "";
            return word.Trim('\'', '"');
        }

        /// <summary>Quoted when it holds a character PowerShell would read otherwise ('area.*' holds a '*',
        /// which is fine unquoted as an argument; spaces and quotes are not).</summary>
        internal static string Quote(string value)
        {
            foreach (char c in value)
            {
                if (char.IsWhiteSpace(c) || c == '\'' || c == '"' || c == '$' || c == '`' || c == ';' || c == '(' || c == ')' || c == '{' || c == '}' || c == ',' || c == '@' || c == '#')
                {
                    return "'" + value.Replace("'", "''") + "'";
                }
            }
            return value;
        }
    }
}
