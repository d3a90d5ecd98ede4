//! How findings and plans word the things they talk about: a scope ("share 'x' of storage account 'y'"),
//! a value quoted for a PowerShell command line, the command that grants a role, and the small case
//! changes a sentence needs. One wording for the checks and the planners alike.

use std::fmt::Write as _;

use crate::model::resource_id::ResourceId;
use crate::model::roles::BuiltInRole;

/// Quote a value for a PowerShell command line (single quotes, doubled inside).
pub fn ps_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The command that grants a role.
pub fn grant_command(principal: &str, role: BuiltInRole, scope: &str) -> String {
    format!(
        "New-AzRoleAssignment -ObjectId {} -RoleDefinitionName {} -Scope {}",
        ps_quote(principal),
        ps_quote(role.name),
        ps_quote(scope)
    )
}

/// "share 'x' of storage account 'y'" or "storage account 'y'" (any other scope as its id).
pub fn describe_scope(scope: &ResourceId) -> String {
    let mut out = String::new();
    push_scope(&mut out, scope);
    out
}

/// [`describe_scope`], appended to `out`.
pub fn push_scope(out: &mut String, scope: &ResourceId) {
    if let Some((account, share, _)) = crate::model::resource_id::share_scope_names(scope) {
        let _ = write!(out, "share '{share}' of storage account '{account}'");
    } else if scope.is_storage_account() {
        let _ = write!(out, "storage account '{}'", scope.name().unwrap_or_default());
    } else {
        out.push_str(scope.as_str());
    }
}

/// `s` with its first letter upper case (the start of a sentence).
pub fn capitalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_capitalized(&mut out, s);
    out
}

/// [`capitalize`], appended to `out`.
pub fn push_capitalized(out: &mut String, s: &str) {
    let mut c = s.chars();
    if let Some(f) = c.next() {
        out.extend(f.to_uppercase());
        out.push_str(c.as_str());
    }
}

/// `s` with its first letter lower case, to continue a sentence with it; left alone when its second
/// letter is upper case too (an acronym such as "ARM").
pub fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match (c.next(), s.chars().nth(1)) {
        (Some(f), Some(second)) if !second.is_uppercase() => f.to_lowercase().collect::<String>() + c.as_str(),
        _ => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrases_word_scopes_quotes_and_case() {
        assert_eq!(ps_quote("it's"), "'it''s'");
        let account =
            ResourceId::parse("/subscriptions/2b4e6a8c-1d3f-4a5b-9c7d-0e1f2a3b4c5d/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st")
                .unwrap();
        assert_eq!(describe_scope(&account), "storage account 'st'");
        let share = ResourceId::parse(
            "/subscriptions/2b4e6a8c-1d3f-4a5b-9c7d-0e1f2a3b4c5d/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st/fileServices/default/fileshares/data",
        )
        .unwrap();
        assert_eq!(describe_scope(&share), "share 'data' of storage account 'st'");
        assert_eq!(capitalize("the service"), "The service");
        assert_eq!(capitalize(""), "");
        assert_eq!(lower_first("The server"), "the server");
        assert_eq!(lower_first("ARM says"), "ARM says");
    }
}
