//! Azure RBAC's action matching, in one place: the `caller.can-repair` check and apply's rights gate
//! decide with the same rules, so a diagnosis and a repair can never disagree on what the caller may do.
//!
//! ARM compares actions case-insensitively, and `*` in a role's `actions` / `notActions` stands for any run
//! of characters (<https://learn.microsoft.com/azure/role-based-access-control/role-definitions#actions>).
//! The effective permissions ARM returns (`.../providers/Microsoft.Authorization/permissions`) grant an
//! action when one block's `actions` match it and the same block's `notActions` do not; conditions are not
//! evaluated there.

use crate::model::snapshot::Permission;

/// ARM's wildcard match: `*` matches any run of characters, case-insensitive; surrounding blanks ignored.
pub fn action_matches(pattern: &str, action: &str) -> bool {
    // Greedy matching with one back-up point: O(len(pattern) * len(action)) however many stars.
    let (p, a) = (pattern.trim().as_bytes(), action.trim().as_bytes());
    let (mut i, mut j) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while j < a.len() {
        if i < p.len() && p[i] == b'*' {
            star = Some((i, j));
            i += 1;
        } else if i < p.len() && p[i].eq_ignore_ascii_case(&a[j]) {
            i += 1;
            j += 1;
        } else if let Some((si, sj)) = star {
            i = si + 1;
            j = sj + 1;
            star = Some((si, sj + 1));
        } else {
            return false;
        }
    }
    p[i..].iter().all(|&c| c == b'*')
}

/// Does any pattern match `action`?
pub fn any_matches(patterns: &[String], action: &str) -> bool {
    patterns.iter().any(|p| action_matches(p, action))
}

/// Does any permission block grant `action` (its actions minus its notActions)?
pub fn permits(perms: &[Permission], action: &str) -> bool {
    perms.iter().any(|p| any_matches(&p.actions, action) && !any_matches(&p.not_actions, action))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_wildcards_match_like_arm() {
        assert!(action_matches("*", "Microsoft.Authorization/roleAssignments/write"));
        assert!(action_matches("microsoft.authorization/*", "Microsoft.Authorization/roleAssignments/write"));
        assert!(action_matches("Microsoft.Authorization/*", "microsoft.authorization/roleAssignments/write"));
        assert!(action_matches("Microsoft.Authorization/*/Write", "Microsoft.Authorization/roleAssignments/write"));
        assert!(action_matches("*/read", "Microsoft.Storage/storageAccounts/read"));
        assert!(!action_matches("*/read", "Microsoft.Authorization/roleAssignments/write"));
        assert!(action_matches("Microsoft.*/*Assignments/*", "Microsoft.Authorization/roleAssignments/write"));
        assert!(!action_matches("Microsoft.Storage/*", "Microsoft.Authorization/roleAssignments/write"));
        assert!(action_matches("", "") && !action_matches("", "x") && action_matches("**", ""));
        // Blanks around a pattern (seen in hand-written custom roles) do not change its meaning.
        assert!(action_matches(" Microsoft.Authorization/* ", "Microsoft.Authorization/roleAssignments/write"));
        // Many stars stay fast (no backtracking blow-up on hostile input).
        let hostile = "*a".repeat(40) + "b";
        assert!(!action_matches(&hostile, &"a".repeat(200)));
    }

    #[test]
    fn not_actions_take_away_what_actions_give() {
        let contributor = Permission {
            actions: vec!["*".into()],
            not_actions: vec!["Microsoft.Authorization/*/Delete".into(), "Microsoft.Authorization/*/Write".into()],
            ..Default::default()
        };
        assert!(!permits(std::slice::from_ref(&contributor), "Microsoft.Authorization/roleAssignments/write"));
        assert!(permits(std::slice::from_ref(&contributor), "Microsoft.StorageSync/storageSyncServices/write"));
        let uaa =
            Permission { actions: vec!["*/read".into(), "Microsoft.Authorization/*".into()], ..Default::default() };
        assert!(permits(&[contributor, uaa], "Microsoft.Authorization/roleAssignments/write"));
        // A notAction in one block does not take away what another block grants, and nothing is granted
        // by notActions alone.
        let only_not = Permission { not_actions: vec!["*".into()], ..Default::default() };
        assert!(!permits(&[only_not], "Microsoft.Storage/storageAccounts/read"));
    }
}
