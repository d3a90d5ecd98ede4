// The only place that touches the native library: SafeHandles over the generated NativeMethods
// (bindings/NativeMethods.g.cs), UTF-8 marshalling of JSON, and the error JSON as an exception.
using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Text;

namespace AzFileSync.ManagedIdentity.Native
{
    /// <summary>An error reported by the native library (its error JSON, see fsi_last_error).</summary>
    public sealed class FileSyncNativeException : Exception
    {
        internal FileSyncNativeException(Dictionary<string, object> error)
            : base(Wording.Reword(Json.Str(error, "message")) ?? "the native library failed without a message")
        {
            Code = (int)(Json.Long(error, "code") ?? (long)FsiResult.Internal);
            Kind = Json.Str(error, "kind") ?? "Internal";
            ErrorId = Json.Str(error, "errorId") ?? ("AzFileSync." + Kind);
            Category = ErrorWording.Category(Kind).ToString();
            RecommendedAction = ErrorWording.RecommendedAction(Kind);
            ArmCode = Json.Str(error, "armCode");
            RequestId = Json.Str(error, "requestId");
            CorrelationId = Json.Str(error, "correlationId");
            HttpStatus = (int?)Json.Long(error, "httpStatus");
            ResourceId = Json.Str(error, "resourceId");
        }

        internal static FileSyncNativeException FromJson(string json)
        {
            Dictionary<string, object> o;
            try { o = Json.ParseObject(json); }
            catch (FormatException) { o = new Dictionary<string, object> { { "message", json } }; }
            return new FileSyncNativeException(o);
        }

        /// <summary>The fsi_result number (2..13: the core's error kinds; 100+: ABI failures).</summary>
        public int Code { get; private set; }
        public string Kind { get; private set; }
        /// <summary>Stable id, e.g. AzFileSync.Arm.AuthorizationFailed or AzFileSync.NotFound.</summary>
        public string ErrorId { get; private set; }
        /// <summary>A System.Management.Automation.ErrorCategory name.</summary>
        public string Category { get; private set; }
        public string RecommendedAction { get; private set; }
        public string ArmCode { get; private set; }
        public string RequestId { get; private set; }
        public string CorrelationId { get; private set; }
        public int? HttpStatus { get; private set; }
        public string ResourceId { get; private set; }
    }

    /// <summary>What PowerShell says about a failure of the core: its ErrorCategory and the next step for the
    /// person at the prompt. The core reports only its result kind (fsi_result names, or the same names in
    /// camelCase in a change result); the wording for PowerShell users lives here, beside the cmdlets.</summary>
    internal static class ErrorWording
    {
        static FsiResult? Parse(string kind)
        {
            FsiResult r;
            if (!string.IsNullOrEmpty(kind) && Enum.TryParse(kind, true, out r) && Enum.IsDefined(typeof(FsiResult), r)) return r;
            return null;
        }

        /// <summary>The ErrorCategory for a result kind ("Authorization", "authorization", ...).</summary>
        internal static System.Management.Automation.ErrorCategory Category(string kind)
        {
            switch (Parse(kind))
            {
                case FsiResult.InvalidInput:
                case FsiResult.NullPointer:
                case FsiResult.InvalidUtf8: return System.Management.Automation.ErrorCategory.InvalidArgument;
                case FsiResult.InvalidFile: return System.Management.Automation.ErrorCategory.InvalidData;
                case FsiResult.Authentication: return System.Management.Automation.ErrorCategory.AuthenticationError;
                case FsiResult.Authorization: return System.Management.Automation.ErrorCategory.PermissionDenied;
                case FsiResult.NotFound: return System.Management.Automation.ErrorCategory.ObjectNotFound;
                case FsiResult.Arm: return System.Management.Automation.ErrorCategory.InvalidResult;
                case FsiResult.Network: return System.Management.Automation.ErrorCategory.ConnectionError;
                case FsiResult.Throttled: return System.Management.Automation.ErrorCategory.LimitsExceeded;
                case FsiResult.Io: return System.Management.Automation.ErrorCategory.ResourceUnavailable;
                case FsiResult.Cancelled: return System.Management.Automation.ErrorCategory.OperationStopped;
                case FsiResult.Conflict:
                case FsiResult.AlreadyTaken: return System.Management.Automation.ErrorCategory.InvalidOperation;
                case FsiResult.Busy: return System.Management.Automation.ErrorCategory.ResourceBusy;
                default: return System.Management.Automation.ErrorCategory.NotSpecified;
            }
        }

        /// <summary>What a person should do next, in one sentence ("" when there is nothing to do).</summary>
        internal static string RecommendedAction(string kind)
        {
            switch (Parse(kind))
            {
                case FsiResult.InvalidInput: return "Check the parameters named in the message and run the command again.";
                case FsiResult.InvalidFile: return "Give a snapshot or plan file written by this version of the tool (Export-AzFileSyncSnapshot).";
                case FsiResult.Authentication: return "Run Connect-AzAccount (or pass a fresh -AccessToken) and run the command again.";
                case FsiResult.Authorization: return "Run as an identity with the rights named in the message (for role assignments: Owner, User Access Administrator, Role Based Access Control Administrator or Azure File Sync Administrator on the storage accounts).";
                case FsiResult.NotFound: return "Check the subscription, resource group and Storage Sync Service name (Get-AzContext shows the current subscription).";
                case FsiResult.Arm: return "Quote the ARM code and request id from the message when you contact support, or run the command again later.";
                case FsiResult.Network: return "Check the network path to Azure Resource Manager (proxy, firewall, DNS) and run the command again.";
                case FsiResult.Throttled: return "Azure Resource Manager is throttling this subscription: wait a few minutes and run the command again.";
                case FsiResult.Io: return "Check that the path exists and that you may read or write it.";
                case FsiResult.Conflict: return "The deployment changed since the plan was made: run the command again to make a fresh plan.";
                case FsiResult.Internal:
                case FsiResult.Panic: return "This is a bug in AzFileSync.ManagedIdentity: please report it with the message.";
                case FsiResult.NullPointer:
                case FsiResult.InvalidUtf8:
                case FsiResult.Busy:
                case FsiResult.AlreadyTaken: return "This is a bug in the caller of the native library: please report it with the message.";
                default: return "";
            }
        }
    }

    internal static unsafe class NativeJson
    {
        /// <summary>Copy a library buffer to a string and free it with the library's own free.</summary>
        internal static string Take(FsiBuffer* buffer)
        {
            if (buffer == null) return null;
            try
            {
                byte* data = NativeMethods.fsi_buffer_data(buffer);
                int len = checked((int)(ulong)NativeMethods.fsi_buffer_len(buffer));
                return len == 0 ? "" : Encoding.UTF8.GetString(data, len);
            }
            finally
            {
                NativeMethods.fsi_buffer_free(buffer);
            }
        }

        /// <summary>The error of the last failed call on this thread.</summary>
        internal static FileSyncNativeException LastError(FsiResult rc)
        {
            FsiBuffer* buf = null;
            if (NativeMethods.fsi_last_error(&buf) != FsiResult.Ok)
            {
                return FileSyncNativeException.FromJson("{\"code\":" + ((int)rc).ToString(System.Globalization.CultureInfo.InvariantCulture) + ",\"kind\":\"" + rc + "\",\"message\":\"the native library failed (" + rc + ")\"}");
            }
            return FileSyncNativeException.FromJson(Take(buf));
        }

        internal static byte[] Utf8(string json)
        {
            return Encoding.UTF8.GetBytes(json);
        }

        internal static string Version()
        {
            byte* p = NativeMethods.fsi_version();
            if (p == null) return "";
            int n = 0;
            while (p[n] != 0) n++;
            return Encoding.ASCII.GetString(p, n);
        }
    }

    /// <summary>A native session (fsi_session); freed with fsi_session_free.</summary>
    internal sealed unsafe class SessionHandle : SafeHandle
    {
        SessionHandle() : base(IntPtr.Zero, true) { }

        public override bool IsInvalid { get { return handle == IntPtr.Zero; } }

        protected override bool ReleaseHandle()
        {
            NativeMethods.fsi_session_free((FsiSession*)handle.ToPointer());
            return true;
        }

        internal static SessionHandle Open(string optionsJson)
        {
            byte[] bytes = NativeJson.Utf8(optionsJson);
            var h = new SessionHandle();
            try
            {
                FsiSession* s = null;
                FsiResult rc;
                fixed (byte* p = bytes)
                {
                    rc = NativeMethods.fsi_session_new(p, (UIntPtr)bytes.Length, &s);
                }
                if (rc != FsiResult.Ok) throw NativeJson.LastError(rc);
                h.SetHandle((IntPtr)s);
                return h;
            }
            finally
            {
                // The options may carry an access token.
                Array.Clear(bytes, 0, bytes.Length);
            }
        }
    }

    /// <summary>A running or finished native request (fsi_request); freed (and cancelled if running) with fsi_request_free.</summary>
    internal sealed unsafe class RequestHandle : SafeHandle
    {
        RequestHandle() : base(IntPtr.Zero, true) { }

        public override bool IsInvalid { get { return handle == IntPtr.Zero; } }

        protected override bool ReleaseHandle()
        {
            NativeMethods.fsi_request_free((FsiRequest*)handle.ToPointer());
            return true;
        }

        FsiRequest* Ptr { get { return (FsiRequest*)handle.ToPointer(); } }

        internal static RequestHandle Start(SessionHandle session, string requestJson)
        {
            byte[] bytes = NativeJson.Utf8(requestJson);
            var h = new RequestHandle();
            bool added = false;
            try
            {
                session.DangerousAddRef(ref added);
                FsiRequest* r = null;
                FsiResult rc;
                fixed (byte* p = bytes)
                {
                    rc = NativeMethods.fsi_request_start((FsiSession*)session.DangerousGetHandle().ToPointer(), p, (UIntPtr)bytes.Length, &r);
                }
                if (rc != FsiResult.Ok) throw NativeJson.LastError(rc);
                h.SetHandle((IntPtr)r);
                return h;
            }
            finally
            {
                if (added) session.DangerousRelease();
            }
        }

        /// <summary>True when the request has finished; false when still running after timeoutMs.</summary>
        internal bool Wait(uint timeoutMs)
        {
            FsiResult rc = NativeMethods.fsi_request_wait(Ptr, timeoutMs);
            if (rc == FsiResult.Ok) return true;
            if (rc == FsiResult.Busy) return false;
            throw NativeJson.LastError(rc);
        }

        /// <summary>Ask the request to stop; safe from any thread (StopProcessing), returns at once.</summary>
        internal void Cancel()
        {
            bool added = false;
            try
            {
                DangerousAddRef(ref added);
                NativeMethods.fsi_request_cancel(Ptr);
            }
            catch (ObjectDisposedException)
            {
                // Already freed: nothing left to cancel.
            }
            finally
            {
                if (added) DangerousRelease();
            }
        }

        /// <summary>The events buffered since the last call, as a JSON array.</summary>
        internal string TakeEvents()
        {
            FsiBuffer* b = null;
            FsiResult rc = NativeMethods.fsi_events_take(Ptr, &b);
            if (rc != FsiResult.Ok) throw NativeJson.LastError(rc);
            return NativeJson.Take(b);
        }

        /// <summary>The outcome: the result JSON when Ok, else the error JSON.</summary>
        internal FsiResult TakeResult(out string json)
        {
            FsiBuffer* b = null;
            FsiResult rc = NativeMethods.fsi_request_take_result(Ptr, &b);
            json = NativeJson.Take(b);
            if (json == null) throw NativeJson.LastError(rc);
            return rc;
        }
    }
}
