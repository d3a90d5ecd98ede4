// The module in a hosted PowerShell 7.6 engine with a scripted host, against the project's fake ARM: the
// confirmation prompts a person answers, progress records, and Ctrl+C. The Pester suite (tests/pester) covers
// the rest under the real console host; this file reuses its helpers (Support.ps1) for the fake ARM, the
// Az.Accounts stand-ins and the Az.StorageSync objects.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Threading;
using Xunit;

namespace AzFileSync.ManagedIdentity.EngineTests
{
    /// <summary>One runspace over a scripted host, the module imported, a fresh fake ARM and the Az stand-ins.</summary>
    public sealed class Session : IDisposable
    {
        public readonly ScriptedHost Host;
        public readonly Runspace Runspace;

        public static string ModulePath { get { return Need("AZFS_MODULE"); } }
        static string FakeArmPath { get { return Need("AZFS_FAKE_ARM"); } }
        static string Repo { get { return Need("AZFS_REPO"); } }

        static string Need(string name)
        {
            string v = Environment.GetEnvironmentVariable(name);
            if (string.IsNullOrEmpty(v)) throw new InvalidOperationException(name + " is not set: run these tests through ps-module/tests/run.sh");
            return v;
        }

        /// <param name="latencyMs">Every ARM answer of the fake takes this long.</param>
        public Session(bool interactive = true, int latencyMs = 0)
        {
            Host = new ScriptedHost(interactive);
            var iss = InitialSessionState.CreateDefault2();
            Runspace = RunspaceFactory.CreateRunspace(Host, iss);
            Runspace.Open();
            string topology = Path.Combine(Repo, "ps-module/tests/topology.json");
            if (latencyMs > 0)
            {
                string text = File.ReadAllText(topology).Replace("\"latencyMs\": 0", "\"latencyMs\": " + latencyMs);
                topology = Path.Combine(Path.GetTempPath(), "azfs-engine-" + Guid.NewGuid().ToString("N") + ".json");
                File.WriteAllText(topology, text);
            }
            Run(@"param($module, $fakeArm, $support, $topology)
                  $global:FakeArm = $fakeArm
                  . $support
                  Import-Module (Join-Path $module 'AzFileSync.ManagedIdentity.psd1')
                  $global:Fake = Start-FakeArm -Topology $topology
                  Install-AzStandIn -Url $global:Fake.Url",
                ModulePath, FakeArmPath, Path.Combine(Repo, "ps-module/tests/pester/Support.ps1"), topology);
        }

        /// <summary>Run a script with arguments; returns the output, errors (non-terminating) in `errors`.</summary>
        public List<PSObject> Run(string script, params object[] args)
        {
            List<ErrorRecord> errors;
            var output = Run(script, out errors, args);
            if (errors.Count > 0) throw new Exception("unexpected errors: " + string.Join("; ", errors.Select(e => e.FullyQualifiedErrorId + ": " + e)));
            return output;
        }

        public List<PSObject> Run(string script, out List<ErrorRecord> errors, params object[] args)
        {
            using (var ps = PowerShell.Create())
            {
                ps.Runspace = Runspace;
                ps.AddScript(script, useLocalScope: false);
                foreach (var a in args) ps.AddArgument(a);
                var output = ps.Invoke().ToList();
                errors = ps.Streams.Error.ToList();
                return output;
            }
        }

        public int Writes()
        {
            return Run("(Get-ArmWrite $global:Fake).Count").Select(o => (int)o.BaseObject).Single();
        }

        public int Requests()
        {
            return Run("(Get-ArmRequest $global:Fake).Count").Select(o => (int)o.BaseObject).Single();
        }

        public static readonly string ServiceId =
            "/subscriptions/6f1c2b7e-4a4d-4b1e-9a7c-2d5f0e8b9c31/resourceGroups/rg-sync/providers/Microsoft.StorageSync/storageSyncServices/svc1";

        public void Dispose()
        {
            try { Run("Stop-FakeArm $global:Fake"); } catch (Exception) { }
            Runspace.Dispose();
        }
    }

    public class ConfirmationTests
    {
        [Fact]
        public void Repair_with_Confirm_asks_per_change_and_applies_only_the_approved_one()
        {
            using (var s = new Session())
            {
                for (int i = 0; i < 50; i++) s.Host.Person.Answers.Enqueue(i == 0 ? "Yes" : "No");
                var results = s.Run("Repair-AzFileSyncPermission -ResourceId $args[0] -Confirm -WarningAction SilentlyContinue", Session.ServiceId);
                var prompts = s.Host.Person.Prompts;
                Assert.True(prompts.Count > 1, "one prompt per change: " + prompts.Count);
                Assert.All(prompts, p => Assert.Contains("Yes to All", p.Choices));
                // The first prompt names the change and its target (ShouldProcess's wording).
                Assert.Contains("Grant", prompts[0].Message);
                Assert.Contains("/subscriptions/", prompts[0].Message);
                var statuses = results.Select(r => (string)r.Properties["Status"].Value).ToList();
                Assert.Equal(1, statuses.Count(x => x == "created"));
                Assert.Equal(prompts.Count - 1, statuses.Count(x => x == "skipped"));
                Assert.Equal(1, s.Writes());
            }
        }

        [Fact]
        public void Enable_asks_once_for_the_whole_switch_and_a_no_writes_nothing()
        {
            using (var s = new Session())
            {
                s.Host.Person.Answers.Enqueue("No");
                var results = s.Run("Enable-AzFileSyncManagedIdentity -ResourceId $args[0] -WarningAction SilentlyContinue", Session.ServiceId);
                Assert.Empty(results);
                var prompt = Assert.Single(s.Host.Person.Prompts);
                Assert.Equal("Enable Azure File Sync managed identities", prompt.Caption);
                Assert.Contains(Session.ServiceId, prompt.Message);
                Assert.Matches(@"with \d+ changes?", prompt.Message);
                Assert.Equal(0, s.Writes());
            }
        }

        [Fact]
        public void Enable_with_a_yes_applies_every_change_and_Force_asks_nothing()
        {
            using (var s = new Session())
            {
                s.Host.Person.Answers.Enqueue("Yes");
                var results = s.Run("Enable-AzFileSyncManagedIdentity -ResourceId $args[0] -WarningAction SilentlyContinue", Session.ServiceId);
                Assert.Single(s.Host.Person.Prompts);
                Assert.NotEmpty(results);
                int writes = s.Writes();
                Assert.True(writes > 0);
                Assert.DoesNotContain(results, r => (string)r.Properties["Status"].Value == "failed");
                // Run again with -Force: nothing is asked; what is done is not repeated.
                var again = s.Run("Enable-AzFileSyncManagedIdentity -ResourceId $args[0] -Force -WarningAction SilentlyContinue", Session.ServiceId);
                Assert.Single(s.Host.Person.Prompts);
                Assert.Equal(writes, s.Writes());
                Assert.DoesNotContain(again, r => (string)r.Properties["Status"].Value == "created");
            }
        }

        [Fact]
        public void Enable_in_a_host_that_cannot_prompt_stops_before_any_write_and_names_Force()
        {
            using (var s = new Session(interactive: false))
            {
                // A terminating error of a cmdlet ends its statement; the script's caller sees it as an error record.
                List<ErrorRecord> errors;
                var results = s.Run("Enable-AzFileSyncManagedIdentity -ResourceId $args[0] -WarningAction SilentlyContinue", out errors, Session.ServiceId);
                Assert.Empty(results);
                var error = Assert.Single(errors);
                Assert.Equal("AzFileSync.ConfirmationRequired,AzFileSync.ManagedIdentity.EnableAzFileSyncManagedIdentityCommand", error.FullyQualifiedErrorId);
                Assert.Equal(ErrorCategory.InvalidOperation, error.CategoryInfo.Category);
                Assert.Equal(Session.ServiceId, error.TargetObject);
                Assert.Contains("-Force", error.ErrorDetails.RecommendedAction);
                Assert.Equal(0, s.Writes());
            }
        }
    }

    public class StreamTests
    {
        [Fact]
        public void A_live_diagnosis_reports_progress_and_completes_it()
        {
            using (var s = new Session())
            {
                var findings = s.Run("Test-AzFileSyncManagedIdentity -ResourceId $args[0]", Session.ServiceId);
                Assert.NotEmpty(findings);
                var progress = s.Host.Person.Progress;
                Assert.Contains(progress, p => p.RecordType == ProgressRecordType.Processing && !string.IsNullOrEmpty(p.StatusDescription));
                Assert.Equal(ProgressRecordType.Completed, progress.Last().RecordType);
                Assert.All(progress, p => Assert.Equal(progress[0].ActivityId, p.ActivityId));
            }
        }

        [Fact]
        public void Findings_are_typed_objects_that_pipe_into_other_cmdlets()
        {
            using (var s = new Session())
            {
                var grouped = s.Run("Test-AzFileSyncManagedIdentity -ResourceId $args[0] | Group-Object Status | Sort-Object Name | ForEach-Object Name", Session.ServiceId);
                // Status is an enum (FileSyncStatus): grouped by its names.
                Assert.Contains("Fail", grouped.Select(g => (string)g.BaseObject));
                var finding = s.Run("Test-AzFileSyncManagedIdentity -ResourceId $args[0] | Select-Object -First 1", Session.ServiceId).Single();
                Assert.Equal("AzFileSync.ManagedIdentity.FileSyncFinding", finding.BaseObject.GetType().FullName);
            }
        }
    }

    public class StopTests
    {
        [Fact]
        public void Stopping_the_pipeline_cancels_the_native_request_and_sends_no_more_requests()
        {
            // Each ARM answer takes 2 s: a whole diagnosis needs many, so it is still running when stopped.
            using (var s = new Session(latencyMs: 2000))
            using (var ps = PowerShell.Create())
            {
                ps.Runspace = s.Runspace;
                ps.AddScript("Test-AzFileSyncManagedIdentity -ResourceId '" + Session.ServiceId + "'");
                var running = ps.BeginInvoke();
                Thread.Sleep(1000);
                Assert.False(running.IsCompleted);
                ps.Stop();
                Assert.Equal(PSInvocationState.Stopped, ps.InvocationStateInfo.State);
                Assert.Empty(ps.Streams.Error);
                // Nothing more is sent after the stop (the request in flight may still be logged).
                int after = s.Requests();
                Thread.Sleep(2500);
                Assert.Equal(after, s.Requests());
                Assert.True(after <= 3, "requests sent before the stop: " + after);
            }
        }
    }
}
