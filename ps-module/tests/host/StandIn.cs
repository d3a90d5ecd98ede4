// A stand-in for the few System.Management.Automation types the module's C# uses, for the SIMULATED host
// under Mono. Same namespace and member names as PowerShell's, so the shipped sources compile against it
// unchanged (they are compiled a second time, against this, for the harness). It is not PowerShell: the
// host behaviour (parameter binding, ShouldProcess, the streams) is the harness's simulation.
using System;
using System.Collections;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Reflection;

namespace System.Management.Automation
{
    // ---- attributes ----------------------------------------------------------------------------------
    [AttributeUsage(AttributeTargets.Class)]
    public sealed class CmdletAttribute : Attribute
    {
        public CmdletAttribute(string verbName, string nounName) { VerbName = verbName; NounName = nounName; }
        public string VerbName { get; private set; }
        public string NounName { get; private set; }
        public string DefaultParameterSetName { get; set; }
        public bool SupportsShouldProcess { get; set; }
        public ConfirmImpact ConfirmImpact { get; set; }
    }

    [AttributeUsage(AttributeTargets.Property | AttributeTargets.Field, AllowMultiple = true)]
    public sealed class ParameterAttribute : Attribute
    {
        public const string AllParameterSets = "__AllParameterSets";
        public ParameterAttribute() { ParameterSetName = AllParameterSets; Position = int.MinValue; }
        public string ParameterSetName { get; set; }
        public bool Mandatory { get; set; }
        public int Position { get; set; }
        public bool ValueFromPipeline { get; set; }
        public bool ValueFromPipelineByPropertyName { get; set; }
    }

    [AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
    public sealed class AliasAttribute : Attribute
    {
        public AliasAttribute(params string[] aliasNames) { AliasNames = aliasNames; }
        public IList<string> AliasNames { get; private set; }
    }

    [AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
    public sealed class ValidateNotNullOrEmptyAttribute : Attribute { }

    [AttributeUsage(AttributeTargets.Class, AllowMultiple = true)]
    public sealed class OutputTypeAttribute : Attribute
    {
        public OutputTypeAttribute(params Type[] type) { Type = type; }
        public Type[] Type { get; private set; }
    }

    public enum ConfirmImpact { None, Low, Medium, High }

    public static class VerbsCommon { public const string Get = "Get"; }
    public static class VerbsDiagnostic { public const string Test = "Test"; public const string Repair = "Repair"; }
    public static class VerbsLifecycle { public const string Enable = "Enable"; }
    public static class VerbsData { public const string Export = "Export"; }

    public struct SwitchParameter
    {
        readonly bool _present;
        public SwitchParameter(bool isPresent) { _present = isPresent; }
        public bool IsPresent { get { return _present; } }
        public static implicit operator bool(SwitchParameter s) { return s._present; }
        public static implicit operator SwitchParameter(bool b) { return new SwitchParameter(b); }
    }

    // ---- objects --------------------------------------------------------------------------------------
    public class PSPropertyInfo
    {
        public PSPropertyInfo(string name, object value) { Name = name; Value = value; }
        public string Name { get; private set; }
        public object Value { get; set; }
    }

    public sealed class PSPropertyCollection : IEnumerable<PSPropertyInfo>
    {
        readonly PSObject _owner;
        internal PSPropertyCollection(PSObject owner) { _owner = owner; }
        public PSPropertyInfo this[string name] { get { return _owner.Find(name); } }
        public IEnumerator<PSPropertyInfo> GetEnumerator() { return _owner.All().GetEnumerator(); }
        IEnumerator IEnumerable.GetEnumerator() { return GetEnumerator(); }
    }

    /// <summary>Wraps an object: its public properties (case-insensitive), or the entries of a dictionary
    /// (like a PSCustomObject's note properties).</summary>
    public class PSObject
    {
        public PSObject(object obj) { BaseObject = obj is PSObject ? ((PSObject)obj).BaseObject : obj; }
        public object BaseObject { get; private set; }
        public static PSObject AsPSObject(object obj) { return obj as PSObject ?? new PSObject(obj); }
        public PSPropertyCollection Properties { get { return new PSPropertyCollection(this); } }

        internal PSPropertyInfo Find(string name)
        {
            var d = BaseObject as IDictionary;
            if (d != null)
            {
                foreach (DictionaryEntry e in d)
                    if (string.Equals(Convert.ToString(e.Key), name, StringComparison.OrdinalIgnoreCase)) return new PSPropertyInfo(Convert.ToString(e.Key), e.Value);
                return null;
            }
            if (BaseObject == null) return null;
            var p = BaseObject.GetType().GetProperty(name, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            return p == null ? null : new PSPropertyInfo(p.Name, p.GetValue(BaseObject, null));
        }

        internal IEnumerable<PSPropertyInfo> All()
        {
            var d = BaseObject as IDictionary;
            if (d != null)
            {
                foreach (DictionaryEntry e in d) yield return new PSPropertyInfo(Convert.ToString(e.Key), e.Value);
                yield break;
            }
            if (BaseObject == null) yield break;
            foreach (var p in BaseObject.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
                yield return new PSPropertyInfo(p.Name, p.GetValue(BaseObject, null));
        }

        public override string ToString() { return Convert.ToString(BaseObject); }
    }

    // ---- records and errors -------------------------------------------------------------------------------
    public enum ErrorCategory
    {
        NotSpecified, OpenError, CloseError, DeviceError, DeadlockDetected, InvalidArgument, InvalidData,
        InvalidOperation, InvalidResult, InvalidType, MetadataError, NotImplemented, NotInstalled,
        ObjectNotFound, OperationStopped, OperationTimeout, SyntaxError, ParserError, PermissionDenied,
        ResourceBusy, ResourceExists, ResourceUnavailable, ReadError, WriteError, FromStdErr, SecurityError,
        ProtocolError, ConnectionError, AuthenticationError, LimitsExceeded, QuotaExceeded, NotEnabled,
    }

    public class ErrorCategoryInfo
    {
        internal ErrorCategoryInfo(ErrorCategory c) { Category = c; }
        public ErrorCategory Category { get; private set; }
    }

    public class ErrorDetails
    {
        public ErrorDetails(string message) { Message = message; }
        public string Message { get; private set; }
        public string RecommendedAction { get; set; }
    }

    public class ErrorRecord
    {
        public ErrorRecord(Exception exception, string errorId, ErrorCategory errorCategory, object targetObject)
        {
            Exception = exception;
            FullyQualifiedErrorId = errorId;
            CategoryInfo = new ErrorCategoryInfo(errorCategory);
            TargetObject = targetObject;
        }
        public Exception Exception { get; private set; }
        public string FullyQualifiedErrorId { get; private set; }
        public ErrorCategoryInfo CategoryInfo { get; private set; }
        public object TargetObject { get; private set; }
        public ErrorDetails ErrorDetails { get; set; }
    }

    public enum ProgressRecordType { Processing, Completed }

    public class ProgressRecord
    {
        public ProgressRecord(int activityId, string activity, string statusDescription)
        {
            if (string.IsNullOrEmpty(activity)) throw new ArgumentException("activity must not be empty");
            if (string.IsNullOrEmpty(statusDescription)) throw new ArgumentException("statusDescription must not be empty");
            ActivityId = activityId; Activity = activity; StatusDescription = statusDescription; PercentComplete = -1;
        }
        public int ActivityId { get; private set; }
        public string Activity { get; private set; }
        public string StatusDescription { get; private set; }
        public int PercentComplete { get; set; }
        public ProgressRecordType RecordType { get; set; }
    }

    public class RuntimeException : SystemException
    {
        public RuntimeException() { }
        public RuntimeException(string message) : base(message) { }
    }

    public class PipelineStoppedException : RuntimeException
    {
        public PipelineStoppedException() : base("The pipeline has been stopped.") { }
    }

    /// <summary>What ThrowTerminatingError throws in this stand-in (PowerShell wraps it in its own way).</summary>
    public class TerminatingErrorException : RuntimeException
    {
        public TerminatingErrorException(ErrorRecord record) : base(record.Exception != null ? record.Exception.Message : record.FullyQualifiedErrorId) { ErrorRecord = record; }
        public ErrorRecord ErrorRecord { get; private set; }
    }

    // ---- commands -------------------------------------------------------------------------------------
    [Flags]
    public enum CommandTypes { Alias = 1, Function = 2, Filter = 4, Cmdlet = 8, ExternalScript = 16, Application = 32, Script = 64, Configuration = 256, All = 383 }

    public class CommandInfo
    {
        public CommandInfo(string name) { Name = name; }
        public string Name { get; private set; }
    }

    /// <summary>InvokeCommand: the host decides what exists and what scripts return.</summary>
    public class CommandInvocationIntrinsics
    {
        public Func<string, CommandTypes, CommandInfo> GetCommandHandler;
        public Func<string, object[], Collection<PSObject>> InvokeScriptHandler;

        public CommandInfo GetCommand(string commandName, CommandTypes type)
        {
            return GetCommandHandler == null ? null : GetCommandHandler(commandName, type);
        }

        public Collection<PSObject> InvokeScript(string script, params object[] args)
        {
            if (InvokeScriptHandler == null) throw new RuntimeException("the simulated host cannot run: " + script);
            return InvokeScriptHandler(script, args);
        }
    }

    /// <summary>The host side of a command (PowerShell's ICommandRuntime, reduced).</summary>
    public interface ICommandRuntime
    {
        void WriteObject(object sendToPipeline);
        void WriteError(ErrorRecord errorRecord);
        void WriteWarning(string text);
        void WriteVerbose(string text);
        void WriteDebug(string text);
        void WriteProgress(ProgressRecord progressRecord);
        bool ShouldProcess(string target, string action);
        void ThrowTerminatingError(ErrorRecord errorRecord);
    }

    public interface IModuleAssemblyInitializer
    {
        void OnImport();
    }

    public abstract class Cmdlet
    {
        public ICommandRuntime CommandRuntime { get; set; }

        protected virtual void BeginProcessing() { }
        protected virtual void ProcessRecord() { }
        protected virtual void EndProcessing() { }
        protected virtual void StopProcessing() { }

        // Entry points for the simulated host (PowerShell calls the protected methods itself).
        public void HostBegin() { BeginProcessing(); }
        public void HostProcess() { ProcessRecord(); }
        public void HostEnd() { EndProcessing(); }
        public void HostStop() { StopProcessing(); }

        public void WriteObject(object sendToPipeline) { CommandRuntime.WriteObject(sendToPipeline); }
        public void WriteError(ErrorRecord errorRecord) { CommandRuntime.WriteError(errorRecord); }
        public void WriteWarning(string text) { CommandRuntime.WriteWarning(text); }
        public void WriteVerbose(string text) { CommandRuntime.WriteVerbose(text); }
        public void WriteDebug(string text) { CommandRuntime.WriteDebug(text); }
        public void WriteProgress(ProgressRecord progressRecord) { CommandRuntime.WriteProgress(progressRecord); }
        public bool ShouldProcess(string target, string action) { return CommandRuntime.ShouldProcess(target, action); }
        public void ThrowTerminatingError(ErrorRecord errorRecord) { CommandRuntime.ThrowTerminatingError(errorRecord); }
    }

    public abstract class PSCmdlet : Cmdlet
    {
        public string ParameterSetName { get; set; }
        public CommandInvocationIntrinsics InvokeCommand { get; set; }
        /// <summary>The simulated current location (PowerShell's, not the process's).</summary>
        public string HostCurrentLocation { get; set; }

        public string GetUnresolvedProviderPathFromPSPath(string path)
        {
            if (System.IO.Path.IsPathRooted(path)) return path;
            return System.IO.Path.GetFullPath(System.IO.Path.Combine(HostCurrentLocation ?? Environment.CurrentDirectory, path));
        }
    }
}
