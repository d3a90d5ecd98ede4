//! The built-in Azure roles that matter to File Sync, by their stable GUIDs.

/// A built-in role: its GUID (the same in every tenant) and display name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuiltInRole {
    pub guid: &'static str,
    pub name: &'static str,
}

pub const STORAGE_ACCOUNT_CONTRIBUTOR: BuiltInRole =
    BuiltInRole { guid: "17d1049b-9a84-46fb-8f53-869881c3d3ab", name: "Storage Account Contributor" };
pub const STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR: BuiltInRole =
    BuiltInRole { guid: "69566ab7-960f-475b-8e7c-b3118f30c6bd", name: "Storage File Data Privileged Contributor" };
pub const READER_AND_DATA_ACCESS: BuiltInRole =
    BuiltInRole { guid: "c12c1c16-33a1-487b-954d-41c89c60f349", name: "Reader and Data Access" };
pub const OWNER: BuiltInRole = BuiltInRole { guid: "8e3af657-a8ff-443c-a75c-2fe8c4bcb635", name: "Owner" };
pub const USER_ACCESS_ADMINISTRATOR: BuiltInRole =
    BuiltInRole { guid: "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9", name: "User Access Administrator" };
pub const RBAC_ADMINISTRATOR: BuiltInRole =
    BuiltInRole { guid: "f58310d9-a9f6-439a-9e8d-f62e7b41a168", name: "Role Based Access Control Administrator" };
pub const FILE_SYNC_ADMINISTRATOR: BuiltInRole =
    BuiltInRole { guid: "92b92042-07d9-4307-87f7-36a593fc5850", name: "Azure File Sync Administrator" };
pub const FILE_SYNC_READER: BuiltInRole =
    BuiltInRole { guid: "754c1a27-40dc-4708-8ad4-2bffdeee09e8", name: "Azure File Sync Reader" };
pub const CONTRIBUTOR: BuiltInRole = BuiltInRole { guid: "b24988ac-6180-42a0-ab88-20f7382dd24c", name: "Contributor" };
pub const READER: BuiltInRole = BuiltInRole { guid: "acdd72a7-3385-48ef-bd42-f606fba81ae7", name: "Reader" };

/// The only roles this tool ever grants.
pub const GRANTABLE: [BuiltInRole; 3] =
    [STORAGE_ACCOUNT_CONTRIBUTOR, STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR, READER_AND_DATA_ACCESS];

pub const KNOWN: [BuiltInRole; 10] = [
    STORAGE_ACCOUNT_CONTRIBUTOR,
    STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR,
    READER_AND_DATA_ACCESS,
    OWNER,
    USER_ACCESS_ADMINISTRATOR,
    RBAC_ADMINISTRATOR,
    FILE_SYNC_ADMINISTRATOR,
    FILE_SYNC_READER,
    CONTRIBUTOR,
    READER,
];

/// The display name for a role GUID (or role definition id), or the GUID itself when unknown.
pub fn display_name(role_definition_id: &str) -> String {
    let guid = crate::model::resource_id::role_guid(role_definition_id);
    KNOWN.iter().find(|r| r.guid == guid).map(|r| r.name.to_string()).unwrap_or(guid)
}

/// The role definition id ARM expects in a role assignment body.
pub fn role_definition_id(subscription: &str, role: BuiltInRole) -> String {
    format!("/subscriptions/{subscription}/providers/Microsoft.Authorization/roleDefinitions/{}", role.guid)
}
