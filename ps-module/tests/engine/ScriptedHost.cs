// A PowerShell host whose answers are scripted and whose output is recorded: what a person at a console
// would be asked (ShouldProcess under -Confirm, ShouldContinue) and shown (progress). The engine behind it
// is the real one (Microsoft.PowerShell.SDK); only the person is simulated.
using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Security;

namespace AzFileSync.ManagedIdentity.EngineTests
{
    public sealed class ScriptedHost : PSHost
    {
        readonly ScriptedUI _ui;
        readonly Guid _id = Guid.NewGuid();

        public ScriptedHost(bool interactive = true)
        {
            _ui = new ScriptedUI(interactive);
        }

        public ScriptedUI Person { get { return _ui; } }

        public override string Name { get { return "AzFileSync scripted host"; } }
        public override Version Version { get { return new Version(1, 0); } }
        public override Guid InstanceId { get { return _id; } }
        public override PSHostUserInterface UI { get { return _ui; } }
        public override CultureInfo CurrentCulture { get { return CultureInfo.InvariantCulture; } }
        public override CultureInfo CurrentUICulture { get { return CultureInfo.InvariantCulture; } }
        public override void SetShouldExit(int exitCode) { }
        public override void EnterNestedPrompt() { throw new NotSupportedException(); }
        public override void ExitNestedPrompt() { throw new NotSupportedException(); }
        public override void NotifyBeginApplication() { }
        public override void NotifyEndApplication() { }
    }

    /// <summary>A prompt the host was shown: its caption, message and the choice labels.</summary>
    public sealed class Prompt
    {
        public string Caption;
        public string Message;
        public List<string> Choices = new List<string>();
        public string Answer;
    }

    public sealed class ScriptedUI : PSHostUserInterface
    {
        readonly bool _interactive;

        public ScriptedUI(bool interactive)
        {
            _interactive = interactive;
        }

        /// <summary>Answers to give, in order, as choice labels without the hot-key ampersand ("Yes",
        /// "No", "Yes to All"); when none is left, a prompt fails the test.</summary>
        public readonly Queue<string> Answers = new Queue<string>();
        public readonly List<Prompt> Prompts = new List<Prompt>();
        public readonly List<ProgressRecord> Progress = new List<ProgressRecord>();
        public readonly List<string> Lines = new List<string>();

        public override int PromptForChoice(string caption, string message, Collection<ChoiceDescription> choices, int defaultChoice)
        {
            if (!_interactive) throw new PSInvalidOperationException("this host cannot prompt (non-interactive)");
            var p = new Prompt { Caption = caption, Message = message };
            foreach (var c in choices) p.Choices.Add(c.Label.Replace("&", ""));
            Prompts.Add(p);
            if (Answers.Count == 0) throw new InvalidOperationException("unexpected prompt: " + caption + ": " + message);
            p.Answer = Answers.Dequeue();
            int i = p.Choices.IndexOf(p.Answer);
            if (i < 0) throw new InvalidOperationException("no choice '" + p.Answer + "' in " + string.Join(", ", p.Choices));
            return i;
        }

        public override void WriteProgress(long sourceId, ProgressRecord record) { lock (Progress) Progress.Add(record); }
        public override void Write(string value) { Lines.Add(value); }
        public override void Write(ConsoleColor foregroundColor, ConsoleColor backgroundColor, string value) { Lines.Add(value); }
        public override void WriteLine(string value) { Lines.Add(value); }
        public override void WriteErrorLine(string value) { Lines.Add("ERROR: " + value); }
        public override void WriteDebugLine(string message) { Lines.Add("DEBUG: " + message); }
        public override void WriteVerboseLine(string message) { Lines.Add("VERBOSE: " + message); }
        public override void WriteWarningLine(string message) { Lines.Add("WARNING: " + message); }

        public override PSHostRawUserInterface RawUI { get { return null; } }
        public override string ReadLine() { throw new InvalidOperationException("unexpected ReadLine"); }
        public override SecureString ReadLineAsSecureString() { throw new InvalidOperationException("unexpected ReadLineAsSecureString"); }
        public override Dictionary<string, PSObject> Prompt(string caption, string message, Collection<FieldDescription> descriptions)
        {
            throw new InvalidOperationException("unexpected Prompt: " + caption + ": " + message);
        }
        public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName)
        {
            throw new InvalidOperationException("unexpected PromptForCredential");
        }
        public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName, PSCredentialTypes allowedCredentialTypes, PSCredentialUIOptions options)
        {
            throw new InvalidOperationException("unexpected PromptForCredential");
        }
    }
}
