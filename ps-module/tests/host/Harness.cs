// SIMULATED PowerShell host for the module's cmdlets under Mono. It binds parameters the way PowerShell
// does for the cases the module relies on (named and positional arguments, parameter sets with a default,
// pipeline input by value and by property name, aliases, ValidateNotNullOrEmpty), runs
// Begin/Process/End, implements ShouldProcess for -WhatIf and -Confirm with ConfirmImpact, and records
// every stream. It is a simulation: it does not prove that real PowerShell loads the module.
using System;
using System.Collections;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using System.Reflection;
using System.Security;
using System.Threading;

namespace SimulatedHost
{
    public sealed class BindingException : Exception
    {
        public BindingException(string message) : base(message) { }
    }

    /// <summary>Everything one invocation wrote.</summary>
    public sealed class Invocation
    {
        public readonly List<object> Output = new List<object>();
        public readonly List<ErrorRecord> Errors = new List<ErrorRecord>();
        public readonly List<string> Warnings = new List<string>();
        public readonly List<string> Verbose = new List<string>();
        public readonly List<string> Debug = new List<string>();
        public readonly List<string> WhatIf = new List<string>();
        public readonly List<ProgressRecord> Progress = new List<ProgressRecord>();
        /// <summary>(target, action, answer) of each ShouldProcess call.</summary>
        public readonly List<Tuple<string, string, bool>> ShouldProcessCalls = new List<Tuple<string, string, bool>>();
        public readonly List<string> ParameterSets = new List<string>();
        public ErrorRecord Terminating;
        public bool Stopped;
        public BindingException BindingError;

        public IEnumerable<T> OutputOf<T>() { return Output.OfType<T>(); }
    }

    public sealed class HostOptions
    {
        public CommandInvocationIntrinsics Commands = new CommandInvocationIntrinsics();
        public string Location;
        /// <summary>The answer to each confirmation prompt (target, action) -> yes?</summary>
        public Func<string, string, bool> ConfirmAnswer = (t, a) => true;
        /// <summary>$ConfirmPreference (PowerShell's default is High).</summary>
        public ConfirmImpact ConfirmPreference = ConfirmImpact.High;
        /// <summary>Called with the cmdlet instance before Begin (to stop it from another thread).</summary>
        public Action<PSCmdlet> OnCreated;
    }

    sealed class Runtime : ICommandRuntime
    {
        readonly Invocation _inv;
        readonly bool _whatIf;
        readonly bool? _confirm;
        readonly ConfirmImpact _impact;
        readonly HostOptions _opts;
        readonly object _lock = new object();

        public Runtime(Invocation inv, bool whatIf, bool? confirm, ConfirmImpact impact, HostOptions opts)
        {
            _inv = inv; _whatIf = whatIf; _confirm = confirm; _impact = impact; _opts = opts;
        }

        public volatile bool Stopping;

        void Check()
        {
            if (Stopping) throw new PipelineStoppedException();
        }

        public void WriteObject(object o) { Check(); lock (_lock) _inv.Output.Add(o); }
        public void WriteError(ErrorRecord e) { Check(); lock (_lock) _inv.Errors.Add(e); }
        public void WriteWarning(string t) { Check(); lock (_lock) _inv.Warnings.Add(t); }
        public void WriteVerbose(string t) { Check(); lock (_lock) _inv.Verbose.Add(t); }
        public void WriteDebug(string t) { Check(); lock (_lock) _inv.Debug.Add(t); }
        public void WriteProgress(ProgressRecord p) { Check(); lock (_lock) _inv.Progress.Add(p); }
        public void ThrowTerminatingError(ErrorRecord e) { throw new TerminatingErrorException(e); }

        public bool ShouldProcess(string target, string action)
        {
            Check();
            bool answer;
            if (_whatIf)
            {
                _inv.WhatIf.Add(string.Format("What if: Performing the operation \"{0}\" on target \"{1}\".", action, target));
                answer = false;
            }
            else if (_confirm ?? (_impact >= _opts.ConfirmPreference && _impact != ConfirmImpact.None))
            {
                answer = _opts.ConfirmAnswer(target, action);
            }
            else
            {
                answer = true;
            }
            _inv.ShouldProcessCalls.Add(Tuple.Create(target, action, answer));
            return answer;
        }
    }

    sealed class ParamInfo
    {
        public PropertyInfo Property;
        public string Name;
        public string[] Aliases;
        public List<ParameterAttribute> Attrs;
        public bool NotNullOrEmpty;

        public bool InSet(string set)
        {
            return Attrs.Any(a => a.ParameterSetName == ParameterAttribute.AllParameterSets || a.ParameterSetName == set);
        }

        ParameterAttribute For(string set)
        {
            return Attrs.FirstOrDefault(a => a.ParameterSetName == set) ?? Attrs.FirstOrDefault(a => a.ParameterSetName == ParameterAttribute.AllParameterSets);
        }

        public bool Mandatory(string set) { var a = For(set); return a != null && a.Mandatory; }
        public int Position(string set) { var a = For(set); return a == null ? int.MinValue : a.Position; }
        public bool ByValue(string set) { var a = For(set); return a != null && a.ValueFromPipeline; }
        public bool ByPropertyName(string set) { var a = For(set); return a != null && a.ValueFromPipelineByPropertyName; }

        public bool Matches(string name)
        {
            return string.Equals(Name, name, StringComparison.OrdinalIgnoreCase) || Aliases.Any(x => string.Equals(x, name, StringComparison.OrdinalIgnoreCase));
        }
    }

    public static class Host
    {
        public const string Banner = "SIMULATED PowerShell host (Mono): a stand-in for System.Management.Automation, not real PowerShell";

        static List<ParamInfo> Parameters(Type t)
        {
            var list = new List<ParamInfo>();
            foreach (var p in t.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                var attrs = p.GetCustomAttributes(typeof(ParameterAttribute), true).Cast<ParameterAttribute>().ToList();
                if (attrs.Count == 0) continue;
                var alias = (AliasAttribute)p.GetCustomAttributes(typeof(AliasAttribute), true).FirstOrDefault();
                list.Add(new ParamInfo
                {
                    Property = p,
                    Name = p.Name,
                    Aliases = alias == null ? new string[0] : alias.AliasNames.ToArray(),
                    Attrs = attrs,
                    NotNullOrEmpty = p.GetCustomAttributes(typeof(ValidateNotNullOrEmptyAttribute), true).Length > 0,
                });
            }
            return list;
        }

        static List<string> Sets(List<ParamInfo> ps)
        {
            var sets = ps.SelectMany(p => p.Attrs.Select(a => a.ParameterSetName)).Where(s => s != ParameterAttribute.AllParameterSets).Distinct().ToList();
            if (sets.Count == 0) sets.Add(ParameterAttribute.AllParameterSets);
            return sets;
        }

        /// <summary>PowerShell-like argument conversion for the parameter types the module uses.</summary>
        static object Convert(Type t, object v, string name, bool notNullOrEmpty)
        {
            var pso = v as PSObject;
            if (pso != null && !(typeof(PSObject) == t)) v = pso.BaseObject;
            object r;
            if (t == typeof(SwitchParameter)) r = v == null ? new SwitchParameter(true) : new SwitchParameter(v is SwitchParameter ? ((SwitchParameter)v).IsPresent : System.Convert.ToBoolean(v, CultureInfo.InvariantCulture));
            else if (v == null) r = null;
            else if (t.IsInstanceOfType(v)) r = v;
            else if (t == typeof(PSObject)) r = PSObject.AsPSObject(v);
            else if (t == typeof(string)) r = v is IEnumerable && !(v is string) ? Fail<string>(name, v) : System.Convert.ToString(v, CultureInfo.InvariantCulture);
            else if (t == typeof(string[]))
            {
                var e = v as IEnumerable;
                r = e != null && !(v is string)
                    ? e.Cast<object>().Select(x => System.Convert.ToString(x is PSObject ? ((PSObject)x).BaseObject : x, CultureInfo.InvariantCulture)).ToArray()
                    : new[] { System.Convert.ToString(v, CultureInfo.InvariantCulture) };
            }
            else if (t == typeof(SecureString) && v is string)
            {
                var s = new SecureString();
                foreach (char c in (string)v) s.AppendChar(c);
                r = s;
            }
            else r = Fail<object>(name, v);
            if (notNullOrEmpty)
            {
                if (r == null || (r is string && ((string)r).Length == 0) || (r is Array && ((Array)r).Length == 0)
                    || (r is string[] && ((string[])r).Any(string.IsNullOrEmpty)))
                    throw new BindingException(string.Format("Cannot validate argument on parameter '{0}'. The argument is null or empty.", name));
            }
            return r;
        }

        static T Fail<T>(string name, object v)
        {
            throw new BindingException(string.Format("Cannot convert '{0}' ({1}) for parameter '{2}'.", v, v.GetType().Name, name));
        }

        static ParamInfo Resolve(List<ParamInfo> ps, string name)
        {
            var exact = ps.Where(p => p.Matches(name)).ToList();
            if (exact.Count == 1) return exact[0];
            var prefix = ps.Where(p => p.Name.StartsWith(name, StringComparison.OrdinalIgnoreCase)).ToList();
            if (prefix.Count == 1) return prefix[0];
            if (prefix.Count > 1) throw new BindingException("Parameter cannot be processed because the parameter name '" + name + "' is ambiguous.");
            throw new BindingException("A parameter cannot be found that matches parameter name '" + name + "'.");
        }

        /// <summary>Run a cmdlet: named args (name -> value; switch: true; WhatIf/Confirm as common parameters),
        /// positional args, and optional pipeline input.</summary>
        public static Invocation Invoke(Type cmdletType, IDictionary<string, object> named, object[] positional, IEnumerable<object> pipeline, HostOptions opts)
        {
            opts = opts ?? new HostOptions();
            var inv = new Invocation();
            var cattr = (CmdletAttribute)cmdletType.GetCustomAttributes(typeof(CmdletAttribute), false).Single();
            var ps = Parameters(cmdletType);
            var sets = Sets(ps);
            bool whatIf = false;
            bool? confirm = null;
            var cmd = (PSCmdlet)Activator.CreateInstance(cmdletType);
            var rt = new Runtime(inv, false, null, cattr.ConfirmImpact, opts);
            try
            {
                // 1. named arguments (and the ShouldProcess common parameters)
                var bound = new Dictionary<ParamInfo, object>();
                foreach (var kv in named ?? new Dictionary<string, object>())
                {
                    if (cattr.SupportsShouldProcess && string.Equals(kv.Key, "WhatIf", StringComparison.OrdinalIgnoreCase)) { whatIf = kv.Value == null || System.Convert.ToBoolean(kv.Value); continue; }
                    if (cattr.SupportsShouldProcess && string.Equals(kv.Key, "Confirm", StringComparison.OrdinalIgnoreCase)) { confirm = kv.Value == null || System.Convert.ToBoolean(kv.Value); continue; }
                    var p = Resolve(ps, kv.Key);
                    if (bound.ContainsKey(p)) throw new BindingException("Cannot bind parameter because parameter '" + p.Name + "' is specified more than once.");
                    bound[p] = Convert(p.Property.PropertyType, kv.Value, p.Name, p.NotNullOrEmpty);
                }
                rt = new Runtime(inv, whatIf, confirm, cattr.ConfirmImpact, opts);

                // 2. candidate parameter sets: those containing every named argument
                var candidates = sets.Where(s => bound.Keys.All(p => p.InSet(s))).ToList();
                if (candidates.Count == 0) throw new BindingException("Parameter set cannot be resolved using the specified named parameters.");

                // 3. positional arguments, per candidate set
                if (positional != null && positional.Length > 0)
                {
                    var ok = new List<string>();
                    foreach (var s in candidates)
                    {
                        var free = ps.Where(p => p.InSet(s) && !bound.ContainsKey(p) && p.Position(s) >= 0).OrderBy(p => p.Position(s)).ToList();
                        if (free.Count >= positional.Length) ok.Add(s);
                    }
                    if (ok.Count == 0) throw new BindingException("A positional parameter cannot be found that accepts argument '" + positional[0] + "'.");
                    string set = ok.Contains(cattr.DefaultParameterSetName) ? cattr.DefaultParameterSetName : ok[0];
                    var freeInSet = ps.Where(p => p.InSet(set) && !bound.ContainsKey(p) && p.Position(set) >= 0).OrderBy(p => p.Position(set)).ToList();
                    for (int i = 0; i < positional.Length; i++) bound[freeInSet[i]] = Convert(freeInSet[i].Property.PropertyType, positional[i], freeInSet[i].Name, freeInSet[i].NotNullOrEmpty);
                    candidates = candidates.Where(s => bound.Keys.All(p => p.InSet(s))).ToList();
                }

                foreach (var kv in bound) kv.Key.Property.SetValue(cmd, kv.Value, null);
                cmd.CommandRuntime = rt;
                cmd.InvokeCommand = opts.Commands;
                cmd.HostCurrentLocation = opts.Location;
                if (opts.OnCreated != null) opts.OnCreated(cmd);

                if (pipeline == null)
                {
                    var complete = candidates.Where(s => ps.Where(p => p.InSet(s) && p.Mandatory(s)).All(bound.ContainsKey)).ToList();
                    if (complete.Count == 0)
                    {
                        var missing = ps.Where(p => p.InSet(candidates[0]) && p.Mandatory(candidates[0]) && !bound.ContainsKey(p)).Select(p => p.Name);
                        throw new BindingException("Cannot process command because of one or more missing mandatory parameters: " + string.Join(" ", missing) + ".");
                    }
                    cmd.ParameterSetName = complete.Contains(cattr.DefaultParameterSetName) ? cattr.DefaultParameterSetName : (complete.Count == 1 ? complete[0] : Ambiguous());
                    inv.ParameterSets.Add(cmd.ParameterSetName);
                    cmd.HostBegin();
                    cmd.HostProcess();
                }
                else
                {
                    cmd.ParameterSetName = candidates.Contains(cattr.DefaultParameterSetName) ? cattr.DefaultParameterSetName : candidates[0];
                    cmd.HostBegin();
                    var fromPipeline = new List<ParamInfo>();
                    foreach (var input in pipeline)
                    {
                        foreach (var p in fromPipeline) p.Property.SetValue(cmd, p.Property.PropertyType.IsValueType ? Activator.CreateInstance(p.Property.PropertyType) : null, null);
                        fromPipeline.Clear();
                        string set;
                        var values = BindPipeline(ps, candidates, bound, input, cattr.DefaultParameterSetName, out set);
                        foreach (var kv in values)
                        {
                            kv.Key.Property.SetValue(cmd, kv.Value, null);
                            fromPipeline.Add(kv.Key);
                        }
                        cmd.ParameterSetName = set;
                        inv.ParameterSets.Add(set);
                        cmd.HostProcess();
                    }
                }
                cmd.HostEnd();
            }
            catch (BindingException e) { inv.BindingError = e; }
            catch (TerminatingErrorException e) { inv.Terminating = e.ErrorRecord; }
            catch (PipelineStoppedException) { inv.Stopped = true; }
            finally
            {
                var d = cmd as IDisposable;
                if (d != null) d.Dispose();
            }
            return inv;
        }

        static string Ambiguous() { throw new BindingException("Parameter set cannot be resolved using the specified named parameters."); }

        /// <summary>Bind one pipeline object: by value without coercion, then by property name (and aliases);
        /// the default set wins when several sets can be satisfied.</summary>
        static Dictionary<ParamInfo, object> BindPipeline(List<ParamInfo> ps, List<string> candidates, Dictionary<ParamInfo, object> bound, object input, string defaultSet, out string chosen)
        {
            var pso = PSObject.AsPSObject(input);
            var options = new List<KeyValuePair<string, Dictionary<ParamInfo, object>>>();
            foreach (var s in candidates)
            {
                var values = new Dictionary<ParamInfo, object>();
                foreach (var p in ps.Where(x => x.InSet(s) && !bound.ContainsKey(x)))
                {
                    if (p.ByValue(s) && (p.Property.PropertyType.IsInstanceOfType(pso.BaseObject) || (p.Property.PropertyType == typeof(string[]) && (pso.BaseObject is string || pso.BaseObject is string[]))))
                    {
                        values[p] = Convert(p.Property.PropertyType, pso.BaseObject, p.Name, p.NotNullOrEmpty);
                        continue;
                    }
                    if (p.ByPropertyName(s))
                    {
                        var prop = new[] { p.Name }.Concat(p.Aliases).Select(n => pso.Properties[n]).FirstOrDefault(x => x != null && x.Value != null);
                        if (prop != null) { values[p] = Convert(p.Property.PropertyType, prop.Value, p.Name, p.NotNullOrEmpty); continue; }
                    }
                    if (p.ByValue(s) && !(pso.BaseObject is IDictionary) && IsScalar(pso.BaseObject))
                    {
                        values[p] = Convert(p.Property.PropertyType, pso.BaseObject, p.Name, p.NotNullOrEmpty);
                    }
                }
                bool complete = ps.Where(x => x.InSet(s) && x.Mandatory(s)).All(x => bound.ContainsKey(x) || values.ContainsKey(x));
                if (complete && (values.Count > 0)) options.Add(new KeyValuePair<string, Dictionary<ParamInfo, object>>(s, values));
            }
            if (options.Count == 0) throw new BindingException("The input object cannot be bound to any parameters for the command either because the command does not take pipeline input or the input and its properties do not match any of the parameters that take pipeline input.");
            var pick = options.FirstOrDefault(o => o.Key == defaultSet);
            if (pick.Key == null)
            {
                if (options.Count > 1) Ambiguous();
                pick = options[0];
            }
            chosen = pick.Key;
            return pick.Value;
        }

        static bool IsScalar(object o)
        {
            return o is string || o is int || o is long || o is uint || o is short;
        }

        /// <summary>Ctrl+C: the runtime refuses further writes (PipelineStoppedException) and the cmdlet's
        /// StopProcessing runs on the calling thread, as PowerShell does.</summary>
        public static void Stop(PSCmdlet cmd)
        {
            var r = cmd.CommandRuntime as Runtime;
            if (r != null) r.Stopping = true;
            cmd.HostStop();
        }

        /// <summary>Run on a background thread; returns the thread and (once it ends) the invocation.</summary>
        public static Thread Start(Type cmdletType, IDictionary<string, object> named, HostOptions opts, Action<Invocation> done)
        {
            var t = new Thread(() => done(Invoke(cmdletType, named, null, null, opts)));
            t.IsBackground = true;
            t.Start();
            return t;
        }
    }
}
