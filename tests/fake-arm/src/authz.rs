//! Role definitions (embedded built-ins plus a topology's custom roles) and ARM-style action matching.

use crate::topology::{roles, RoleDefinitionSeed};
use crate::util::glob_match;

/// One `permissions` entry of a role definition.
#[derive(Debug, Clone, Default)]
pub(crate) struct PermissionBlock {
    pub actions: Vec<String>,
    pub not_actions: Vec<String>,
    pub data_actions: Vec<String>,
    pub not_data_actions: Vec<String>,
    /// A built-in condition limiting `Microsoft.Authorization/roleAssignments/write|delete` granted by
    /// this block to these role GUIDs (how Azure File Sync Administrator is limited).
    pub role_assignment_roles: Option<Vec<String>>,
}

impl PermissionBlock {
    fn new(actions: &[&str], not_actions: &[&str], data_actions: &[&str]) -> Self {
        PermissionBlock {
            actions: actions.iter().map(|s| s.to_string()).collect(),
            not_actions: not_actions.iter().map(|s| s.to_string()).collect(),
            data_actions: data_actions.iter().map(|s| s.to_string()).collect(),
            not_data_actions: Vec::new(),
            role_assignment_roles: None,
        }
    }

    /// Does this block grant `action` (a control-plane action)?
    pub fn grants(&self, action: &str) -> bool {
        self.actions.iter().any(|a| glob_match(a, action)) && !self.not_actions.iter().any(|a| glob_match(a, action))
    }

    /// The condition text ARM would show for `role_assignment_roles`.
    pub fn condition(&self) -> Option<String> {
        let roles = self.role_assignment_roles.as_ref()?;
        let list = roles.join(", ");
        Some(format!(
            "((!(ActionMatches{{'Microsoft.Authorization/roleAssignments/write'}})) OR (@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals{{{list}}})) AND ((!(ActionMatches{{'Microsoft.Authorization/roleAssignments/delete'}})) OR (@Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals{{{list}}}))"
        ))
    }
}

#[derive(Debug, Clone)]
pub(crate) struct RoleDef {
    pub guid: String,
    pub name: String,
    pub description: String,
    pub builtin: bool,
    pub permissions: Vec<PermissionBlock>,
}

const FILE_SYNC_GRANTABLE: [&str; 3] = [
    roles::STORAGE_ACCOUNT_CONTRIBUTOR,
    roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR,
    roles::READER_AND_DATA_ACCESS,
];

const FILE_DATA_ACTIONS: [&str; 6] = [
    "Microsoft.Storage/storageAccounts/fileServices/fileshares/files/read",
    "Microsoft.Storage/storageAccounts/fileServices/fileshares/files/write",
    "Microsoft.Storage/storageAccounts/fileServices/fileshares/files/delete",
    "Microsoft.Storage/storageAccounts/fileServices/fileshares/files/modifypermissions/action",
    "Microsoft.Storage/storageAccounts/fileServices/readFileBackupSemantics/action",
    "Microsoft.Storage/storageAccounts/fileServices/writeFileBackupSemantics/action",
];

fn def(guid: &str, name: &str, description: &str, permissions: Vec<PermissionBlock>) -> RoleDef {
    RoleDef { guid: guid.into(), name: name.into(), description: description.into(), builtin: true, permissions }
}

/// The built-in roles the fake knows. Action lists follow Azure's published definitions, trimmed to what
/// matters here (the parts that touch Authorization, Storage and StorageSync are complete).
pub(crate) fn builtin_roles() -> Vec<RoleDef> {
    let mut file_sync_admin = PermissionBlock::new(
        &[
            "Microsoft.Authorization/roleAssignments/write",
            "Microsoft.Authorization/roleAssignments/delete",
            "Microsoft.StorageSync/*",
            "*/read",
        ],
        &[],
        &[],
    );
    file_sync_admin.role_assignment_roles = Some(FILE_SYNC_GRANTABLE.iter().map(|s| s.to_string()).collect());
    vec![
        def(
            roles::OWNER,
            "Owner",
            "Grants full access to manage all resources, including the ability to assign roles in Azure RBAC.",
            vec![PermissionBlock::new(&["*"], &[], &[])],
        ),
        def(
            roles::CONTRIBUTOR,
            "Contributor",
            "Grants full access to manage all resources, but does not allow you to assign roles in Azure RBAC.",
            vec![PermissionBlock::new(
                &["*"],
                &[
                    "Microsoft.Authorization/*/Delete",
                    "Microsoft.Authorization/*/Write",
                    "Microsoft.Authorization/elevateAccess/Action",
                    "Microsoft.Blueprint/blueprintAssignments/write",
                    "Microsoft.Blueprint/blueprintAssignments/delete",
                ],
                &[],
            )],
        ),
        def(
            roles::READER,
            "Reader",
            "View all resources, but does not allow you to make any changes.",
            vec![PermissionBlock::new(&["*/read"], &[], &[])],
        ),
        def(
            roles::USER_ACCESS_ADMINISTRATOR,
            "User Access Administrator",
            "Lets you manage user access to Azure resources.",
            vec![PermissionBlock::new(&["*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"], &[], &[])],
        ),
        def(
            roles::RBAC_ADMINISTRATOR,
            "Role Based Access Control Administrator",
            "Manage access to Azure resources by assigning roles using Azure RBAC.",
            vec![PermissionBlock::new(
                &[
                    "Microsoft.Authorization/roleAssignments/write",
                    "Microsoft.Authorization/roleAssignments/delete",
                    "*/read",
                    "Microsoft.Support/*",
                ],
                &[],
                &[],
            )],
        ),
        def(
            roles::FILE_SYNC_ADMINISTRATOR,
            "Azure File Sync Administrator",
            "Grants full access to manage Azure File Sync resources and to assign the roles File Sync needs.",
            vec![file_sync_admin],
        ),
        def(
            roles::FILE_SYNC_READER,
            "Azure File Sync Reader",
            "Grants read access to Azure File Sync resources.",
            vec![PermissionBlock::new(&["Microsoft.StorageSync/*/read"], &[], &[])],
        ),
        def(
            roles::STORAGE_ACCOUNT_CONTRIBUTOR,
            "Storage Account Contributor",
            "Lets you manage storage accounts, including accessing storage account keys.",
            vec![PermissionBlock::new(
                &[
                    "Microsoft.Authorization/*/read",
                    "Microsoft.Insights/alertRules/*",
                    "Microsoft.Insights/diagnosticSettings/*",
                    "Microsoft.Network/virtualNetworks/subnets/joinViaServiceEndpoint/action",
                    "Microsoft.ResourceHealth/availabilityStatuses/read",
                    "Microsoft.Resources/deployments/*",
                    "Microsoft.Resources/subscriptions/resourceGroups/read",
                    "Microsoft.Storage/storageAccounts/*",
                    "Microsoft.Support/*",
                ],
                &[],
                &[],
            )],
        ),
        def(
            roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR,
            "Storage File Data Privileged Contributor",
            "Customized role that can read, write, delete and modify ACLs on files/directories in Azure file shares.",
            vec![PermissionBlock::new(&[], &[], &FILE_DATA_ACTIONS)],
        ),
        def(
            roles::READER_AND_DATA_ACCESS,
            "Reader and Data Access",
            "Lets you view everything but will not let you delete or create a storage account or contained resource.",
            vec![PermissionBlock::new(
                &[
                    "Microsoft.Storage/storageAccounts/listKeys/action",
                    "Microsoft.Storage/storageAccounts/ListAccountSas/action",
                    "Microsoft.Storage/storageAccounts/read",
                ],
                &[],
                &[],
            )],
        ),
    ]
}

pub(crate) fn custom_role(seed: &RoleDefinitionSeed) -> RoleDef {
    RoleDef {
        guid: seed.id.to_ascii_lowercase(),
        name: seed.role_name.clone(),
        description: seed.description.clone(),
        builtin: false,
        permissions: vec![PermissionBlock {
            actions: seed.actions.clone(),
            not_actions: seed.not_actions.clone(),
            data_actions: seed.data_actions.clone(),
            not_data_actions: seed.not_data_actions.clone(),
            role_assignment_roles: None,
        }],
    }
}

/// The role GUID in a role definition id (`/.../roleDefinitions/{guid}`) or a bare GUID.
pub(crate) fn role_guid_of(role_definition_id: &str) -> String {
    role_definition_id.trim_end_matches('/').rsplit('/').next().unwrap_or("").to_ascii_lowercase()
}

/// Role GUIDs named in a role-assignment condition that limits which roles may be assigned (the ABAC
/// form `@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals{...}`).
/// None when the condition does not restrict role assignment writes.
pub(crate) fn condition_role_limit(condition: &str) -> Option<Vec<String>> {
    if !condition.to_ascii_lowercase().contains("microsoft.authorization/roleassignments:roledefinitionid") {
        return None;
    }
    let mut guids = Vec::new();
    let chars: Vec<char> = condition.chars().collect();
    let mut i = 0;
    while i + 36 <= chars.len() {
        let cand: String = chars[i..i + 36].iter().collect();
        if crate::util::is_guid(&cand) {
            guids.push(cand.to_ascii_lowercase());
            i += 36;
        } else {
            i += 1;
        }
    }
    Some(guids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contributor_cannot_write_role_assignments() {
        let roles = builtin_roles();
        let c = roles.iter().find(|r| r.name == "Contributor").unwrap();
        assert!(!c.permissions[0].grants("Microsoft.Authorization/roleAssignments/write"));
        assert!(c.permissions[0].grants("Microsoft.StorageSync/storageSyncServices/write"));
        let r = roles.iter().find(|r| r.name == "Reader").unwrap();
        assert!(r.permissions[0].grants("Microsoft.Authorization/roleAssignments/read"));
        assert!(!r.permissions[0].grants("Microsoft.Authorization/roleAssignments/write"));
    }

    #[test]
    fn condition_parsing() {
        let c = "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR (@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals{17d1049b-9a84-46fb-8f53-869881c3d3ab}))";
        assert_eq!(condition_role_limit(c).unwrap(), vec!["17d1049b-9a84-46fb-8f53-869881c3d3ab".to_string()]);
        assert!(condition_role_limit(
            "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'x'"
        )
        .is_none());
    }
}
