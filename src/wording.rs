//! The commands and options of this tool that the core's texts ask the reader to use, named once.
//!
//! A remediation, a plan's note or an error says *what* is needed: "grant the roles (run the repair)",
//! "give a Graph token". Each face has its own words for it: the command line `filesync-identity repair`
//! and `--graph-access-token`, the PowerShell module `Repair-AzFileSyncPermission` and `-GraphAccessToken`.
//! The core writes the command line's words, and lists every such phrase here with a stable id; another face
//! asks for the list (the `wording` request of [`crate::api`]) and puts its own words in place of each
//! phrase, by id (the module: `ps-module/src/Wording.cs`). `tests/wording.rs` holds the sources to it: a
//! command or option of the command line in a text a face can see is one of these phrases.

use serde::Serialize;

/// One phrase of the command line that a text uses to name a command or an option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Phrase {
    /// Stable, for other faces to word it: `repair-what-if`, `graph-access-token`, ...
    pub id: &'static str,
    /// The command line's words, exactly as the texts hold them.
    pub cli: &'static str,
}

const fn p(id: &'static str, cli: &'static str) -> Phrase {
    Phrase { id, cli }
}

/// Every phrase, the longer of two overlapping ones first (a face replaces them in this order).
pub const PHRASES: &[Phrase] = &[
    p(
        "graph-endpoint-and-token",
        "--graph-endpoint with a token for Graph (--graph-access-token; PowerShell passes Get-AzAccessToken -ResourceTypeName MSGraph)",
    ),
    p(
        "graph-access-token-or-env",
        "(--graph-access-token or AZURE_GRAPH_ACCESS_TOKEN; PowerShell: Get-AzAccessToken -ResourceTypeName MSGraph)",
    ),
    p("save-snapshot-or-export", "`collect --output FILE` (PowerShell: Export-AzFileSyncSnapshot)"),
    p("save-snapshot", "`collect --output FILE`"),
    p("apply-plan-file", "apply it with `apply --plan FILE`"),
    p("plan-file", "(repair --plan-output)"),
    p("report-file", "(test --format json)"),
    p("enable-identity", "filesync-identity enable-identity"),
    p("enable-identity-again", "run enable-identity again"),
    p("enable-identity-plan", "an enable-identity plan"),
    p("test-local", "`test --local`"),
    p("repair", "filesync-identity repair"),
    p("explain", "filesync-identity explain"),
    p(
        "target-options",
        "--resource-id, or --subscription with --resource-group and --name (or set AZURE_SUBSCRIPTION_ID)",
    ),
    p("name-needs-resource-group", "--name needs --resource-group"),
    p("fresh-access-token", "pass a fresh --access-token"),
    p("arm-endpoint", "--arm-endpoint"),
    p("include-security-posture-changes", "--include-security-posture-changes"),
    p("storage-sync-principal-id", "--storage-sync-principal-id"),
    p("graph-access-token", "--graph-access-token"),
    p("graph-endpoint", "--graph-endpoint"),
    p("resolve", "--resolve"),
];

#[cfg(test)]
mod tests {
    use super::PHRASES;

    #[test]
    fn ids_are_unique_and_a_phrase_never_hides_a_longer_one_after_it() {
        for (i, a) in PHRASES.iter().enumerate() {
            assert!(!a.id.is_empty() && !a.cli.is_empty());
            for b in &PHRASES[i + 1..] {
                assert_ne!(a.id, b.id);
                // Replaced in order: a later phrase inside an earlier one is fine (the earlier goes first);
                // an earlier phrase inside a later one would cut the later one apart.
                assert!(!b.cli.contains(a.cli), "'{}' must come after '{}'", a.cli, b.cli);
            }
        }
    }
}
