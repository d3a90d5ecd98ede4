//! The snapshot: everything `collect` read about a deployment, as versioned JSON.
//!
//! Checks are pure functions over a snapshot, so a snapshot saved today can be diagnosed offline later,
//! attached to a support ticket, or diffed between runs. The format is documented in
//! `docs/snapshot.md`; `schemaVersion` changes whenever a field changes meaning or a required field is added.

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::model::principal::PrincipalId;
use crate::model::resource_id::{is_zero_guid, ResourceId};

/// The snapshot format this build writes.
pub const SNAPSHOT_SCHEMA_VERSION: u32 = 2;

/// The snapshot formats this build reads. Version 1 lacks the fields that version 2 added (all optional);
/// checks that need them say `unknown` ("not collected (snapshot schema 1)") for a version-1 snapshot.
pub const SNAPSHOT_SCHEMA_VERSIONS_READ: &[u32] = &[1, 2];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    pub schema_version: u32,
    /// When the collection finished (UTC).
    pub collected_at: DateTime<Utc>,
    /// `filesync-identity` version that wrote the file.
    #[serde(default)]
    pub tool_version: String,
    /// The cloud name (`AzureCloud`, ..., or `Custom`).
    #[serde(default)]
    pub cloud: String,
    /// What was collected.
    pub target: Target,
    /// Who collected it (from the token's claims), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller: Option<Caller>,
    /// The object id of the Microsoft.StorageSync first-party service principal in this tenant, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_sync_principal_id: Option<PrincipalId>,
    /// Where `storageSyncPrincipalId` came from (`graph`, `flag`), or why it is unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_sync_principal_source: Option<String>,
    pub services: Vec<StorageSyncService>,
    pub storage_accounts: Vec<StorageAccount>,
    /// Every role assignment read, de-duplicated by id, for all scopes that bear on the storage accounts
    /// (inherited ones from resource groups, subscriptions and management groups included).
    pub role_assignments: Vec<RoleAssignment>,
    /// Deny assignments read at the storage accounts (at, above and below them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deny_assignments: Vec<DenyAssignment>,
    /// Management locks on the storage accounts and their resource groups.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub locks: Vec<ManagementLock>,
    /// Requests that failed during collection; checks that depend on them report `unknown`.
    #[serde(default)]
    pub collection_errors: Vec<CollectionError>,
    /// The Activity Log events read for the deployment (schema 2; absent when not read: `--activity-days
    /// 0`, or a version-1 snapshot). Findings name who changed what from these, offline too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity_log: Option<Box<ActivityLog>>,
}

/// What the Activity Log said about the deployment's resource groups over a window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivityLog {
    /// The window asked for, in days before the collection.
    pub days: u32,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// One query per subscription and resource group, and how it went.
    pub scopes: Vec<ActivityLogScope>,
    /// The successful writes and deletes that bear on the deployment, newest first.
    pub events: Vec<ActivityEvent>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivityLogScope {
    pub subscription_id: String,
    pub resource_group: String,
    /// False when the query failed (see `error`): findings then say the Activity Log could not be read.
    pub read: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One administrative Activity Log event (a write or delete that succeeded).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivityEvent {
    pub event_timestamp: DateTime<Utc>,
    /// Who: a user's UPN, or a service principal's id.
    #[serde(default)]
    pub caller: String,
    /// `Microsoft.Authorization/roleAssignments/delete`, `Microsoft.Storage/storageAccounts/write`, ...
    pub operation_name: String,
    pub resource_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    /// For role assignment writes and deletes: the assignment (from the request or the answer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_definition_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The properties the request set (`allowSharedKeyAccess`, `networkAcls`, `identity`, ...), when the
    /// Activity Log kept the request body; empty when it did not.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changed: Vec<String>,
}

/// What a collection covered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Target {
    /// `service`, `resourceGroup` or `subscription`.
    pub kind: TargetKind,
    pub subscription_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TargetKind {
    Service,
    ResourceGroup,
    Subscription,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Caller {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StorageSyncService {
    pub id: ResourceId,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// The service's managed identity; `None` when it has none.
    #[serde(default)]
    pub identity: Option<ManagedIdentity>,
    /// `properties.useIdentity`: the service uses its identity (and its servers' identities) for storage.
    #[serde(default)]
    pub use_identity: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incoming_traffic_policy: Option<String>,
    /// `properties.privateEndpointConnections` of the service (schema 2); `None` when not collected (a
    /// version-1 snapshot, or ARM did not report them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_endpoint_connections: Option<Vec<PrivateEndpointConnection>>,
    /// `systemData.lastModifiedAt`, used to tell an identity switched on minutes ago.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified_at: Option<DateTime<Utc>>,
    pub registered_servers: Vec<RegisteredServer>,
    pub sync_groups: Vec<SyncGroup>,
}

impl StorageSyncService {
    /// The principal id of the system-assigned identity, if there is one.
    pub fn system_principal_id(&self) -> Option<&str> {
        let id = self.identity.as_ref()?;
        if !id.has_system_assigned() {
            return None;
        }
        id.principal_id.as_deref().filter(|p| !is_zero_guid(p))
    }

    /// The system-assigned identity's principal, as a [`PrincipalId`] (None when there is none, or when
    /// what ARM answered is not an object id).
    pub fn system_principal(&self) -> Option<PrincipalId> {
        self.system_principal_id().and_then(|p| PrincipalId::parse(p).ok())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManagedIdentity {
    /// `None`, `SystemAssigned`, `UserAssigned` or `SystemAssigned, UserAssigned`.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
}

impl ManagedIdentity {
    pub fn has_system_assigned(&self) -> bool {
        self.kind.split(',').any(|t| t.trim().eq_ignore_ascii_case("SystemAssigned"))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisteredServer {
    /// The ARM id (`.../registeredServers/{serverId}`).
    pub id: ResourceId,
    pub server_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub friendly_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_version: Option<String>,
    /// `Ok`, `NearExpiry`, `Expired`, `Blocked`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_version_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_version_expiration_date: Option<String>,
    /// `Standalone`, `ClusterNode`, `ClusterName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_heart_beat: Option<String>,
    /// Object id of the identity the server uses (zero GUID: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_id: Option<String>,
    /// `properties.identity`: the server is set to use its identity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<bool>,
    /// Object id of an identity the server has but does not use yet (zero GUID: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_application_id: Option<String>,
    /// `Certificate` or `ManagedIdentity`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_auth_type: Option<String>,
    /// The machine behind the server's identity, as Microsoft Graph and ARM show it now (schema 2; absent
    /// in version-1 snapshots and for servers without an identity).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine: Option<MachineIdentity>,
}

/// What became of a registered server's identity, seen from the machine's side: the identity's service
/// principal in Microsoft Graph (`alternativeNames` names the resource that owns a managed identity), and
/// that resource's current system-assigned identity in ARM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MachineIdentity {
    /// The principal looked up: the identity the registered server reports (`applicationId`, or
    /// `latestApplicationId` before the switch).
    pub principal_id: String,
    /// How far the lookup got.
    pub lookup: MachineLookup,
    /// `servicePrincipalType` from Graph (`ManagedIdentity` for a managed identity).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_principal_type: Option<String>,
    /// The resource that owns the identity, from the service principal's `alternativeNames`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<String>,
    /// The machine's current `identity.principalId` (absent when it has no system-assigned identity now,
    /// or when the machine was not read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine_principal_id: Option<String>,
    /// The machine's `identity.tenantId`: the tenant of the server resource, which must be the service's
    /// for managed identities (`identity.tenant`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine_tenant_id: Option<String>,
    /// An Azure Arc machine's `properties.status` (`Connected`, `Disconnected`, `Error`, `Expired`): whether
    /// its Connected Machine agent can get tokens (`server.arc-connection`). Absent for Azure VMs, for
    /// machines not read, and in files written before it was collected (the check then says unknown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine_status: Option<String>,
    /// Why the lookup stopped short (`graphUnavailable`, `machineUnreadable`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The HTTP status of the request that failed, when one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// How far a [`MachineIdentity`] lookup got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum MachineLookup {
    /// Microsoft Graph was not asked (no Graph endpoint or token) or refused (403, an error).
    GraphUnavailable,
    /// Graph answered 404: the principal no longer exists.
    PrincipalGone,
    /// The principal exists, but its `alternativeNames` name no Azure Arc machine or Azure VM.
    NotAMachine,
    /// The machine was found in Graph but could not be read in ARM (403, 404, an error).
    MachineUnreadable,
    /// The machine was read: `machinePrincipalId` is its identity now.
    MachineRead,
}

impl RegisteredServer {
    /// A name a person recognises: friendly name, then server name, then the server id.
    pub fn display_name(&self) -> &str {
        self.friendly_name
            .as_deref()
            .filter(|s| !s.is_empty())
            .or(self.server_name.as_deref().filter(|s| !s.is_empty()))
            .unwrap_or(&self.server_id)
    }

    /// Is the server authenticating with its managed identity?
    pub fn uses_managed_identity(&self) -> bool {
        self.active_auth_type.as_deref().is_some_and(|t| t.eq_ignore_ascii_case("ManagedIdentity"))
    }

    /// Has the server been switched to its identity (`identity` true and an `applicationId`) while it still
    /// authenticates with its certificate? The agent picks the switch up within about 15 minutes.
    pub fn switch_requested(&self) -> bool {
        !self.uses_managed_identity()
            && self.identity == Some(true)
            && self.application_id.as_deref().is_some_and(|a| !is_zero_guid(a))
    }

    /// The identity the server uses now (ManagedIdentity mode), if any.
    pub fn active_identity(&self) -> Option<&str> {
        if self.uses_managed_identity() {
            self.application_id.as_deref().filter(|a| !is_zero_guid(a))
        } else {
            None
        }
    }

    /// The identity the server has: the active one, else `latestApplicationId`, else a non-zero
    /// `applicationId` reported while still in certificate mode.
    pub fn any_identity(&self) -> Option<&str> {
        self.active_identity()
            .or(self.latest_application_id.as_deref().filter(|a| !is_zero_guid(a)))
            .or(self.application_id.as_deref().filter(|a| !is_zero_guid(a)))
    }

    /// [`RegisteredServer::any_identity`] as a [`PrincipalId`].
    pub fn any_principal(&self) -> Option<PrincipalId> {
        self.any_identity().and_then(|p| PrincipalId::parse(p).ok())
    }

    pub fn role(&self) -> &str {
        self.server_role.as_deref().unwrap_or("Standalone")
    }

    pub fn is_cluster_name(&self) -> bool {
        self.role().eq_ignore_ascii_case("ClusterName")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncGroup {
    pub id: ResourceId,
    pub name: String,
    pub cloud_endpoints: Vec<CloudEndpoint>,
    pub server_endpoints: Vec<ServerEndpoint>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CloudEndpoint {
    pub id: ResourceId,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub friendly_name: Option<String>,
    /// As ARM reported it (may be empty or malformed: checks say so).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_account_resource_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azure_file_share_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_account_tenant_id: Option<String>,
}

impl CloudEndpoint {
    /// The storage account id, when it parses as one.
    pub fn storage_account_id(&self) -> Option<ResourceId> {
        let raw = self.storage_account_resource_id.as_deref()?;
        ResourceId::parse(raw).ok().filter(|id| id.is_storage_account())
    }
    /// The share name, when set.
    pub fn share(&self) -> Option<&str> {
        self.azure_file_share_name.as_deref().filter(|s| !s.is_empty())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerEndpoint {
    pub id: ResourceId,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub friendly_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_resource_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_local_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_name: Option<String>,
    /// `syncStatus.uploadStatus.lastSyncResult` (signed 32-bit HRESULT).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upload_last_sync_result: Option<i32>,
    /// `syncStatus.downloadStatus.lastSyncResult`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub download_last_sync_result: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_sync_timestamp: Option<String>,
    /// Per-item errors (`filesNotSyncingErrors`), upload and download together.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files_not_syncing_errors: Vec<ErrorCount>,
    /// `recallStatus.recallErrors`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recall_errors: Vec<ErrorCount>,
}

impl ServerEndpoint {
    /// The registered server's `serverId`, taken from `serverResourceId`.
    pub fn server_id(&self) -> Option<&str> {
        let raw = self.server_resource_id.as_deref()?;
        raw.trim_end_matches('/').rsplit('/').next().filter(|s| !s.is_empty())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorCount {
    pub error_code: i32,
    #[serde(default)]
    pub count: u64,
    /// `upload`, `download` or `recall`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StorageAccount {
    pub id: ResourceId,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// False when the account could not be read (see `collectionErrors`); the other fields are then empty.
    #[serde(default = "yes")]
    pub read: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_acls: Option<NetworkAcls>,
    /// `properties.allowSharedKeyAccess`; absent means allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_shared_key_access: Option<bool>,
    /// `Enabled`, `Disabled`, `SecuredByPerimeter`; absent means enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_network_access: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub private_endpoint_connections: Vec<PrivateEndpointConnection>,
    /// File share names in the account; `None` when they could not be listed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shares: Option<Vec<String>>,
    /// Were the role assignments bearing on this account read? If not, role checks are `unknown`.
    #[serde(default)]
    pub role_assignments_read: bool,
    /// The caller's effective permissions on the account; `None` when not read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller_permissions: Option<Vec<Permission>>,
    /// The file service's SMB settings (`fileServices/default`, `protocolSettings.smb`; schema 2); `None`
    /// when not read (see `collectionErrors`, operation `fileServices`) or a version-1 snapshot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smb_settings: Option<SmbSettings>,
    /// The account's network security perimeter configurations (schema 2). Read only when
    /// `publicNetworkAccess` is `SecuredByPerimeter`; `None` otherwise, or when they could not be read
    /// (operation `networkSecurityPerimeterConfigurations`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_security_perimeter_configurations: Option<Vec<NspConfiguration>>,
}

/// A storage account's SMB settings, as `protocolSettings.smb` gives them: each a `;`-separated list of
/// the values the account allows. An absent list means Azure's default, which allows every value.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SmbSettings {
    /// `SMB2.1`, `SMB3.0`, `SMB3.1.1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub versions: Option<String>,
    /// `NTLMv2`, `Kerberos`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication_methods: Option<String>,
    /// `RC4-HMAC`, `AES-256`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kerberos_ticket_encryption: Option<String>,
    /// `AES-128-CCM`, `AES-128-GCM`, `AES-256-GCM`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_encryption: Option<String>,
}

impl SmbSettings {
    /// The values a list allows: `None` when the list is absent or empty (every value allowed).
    pub fn values(list: Option<&str>) -> Option<Vec<String>> {
        let items: Vec<String> =
            list?.split([';', ',']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect();
        (!items.is_empty()).then_some(items)
    }
    /// Does the list allow `value` (case-insensitive)? An absent list allows everything.
    pub fn allows(list: Option<&str>, value: &str) -> bool {
        Self::values(list).is_none_or(|v| v.iter().any(|x| x.eq_ignore_ascii_case(value)))
    }
}

/// One network security perimeter configuration of a storage account
/// (`Microsoft.Storage/storageAccounts/{name}/networkSecurityPerimeterConfigurations`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NspConfiguration {
    pub id: String,
    /// `properties.networkSecurityPerimeter.id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub perimeter_id: Option<String>,
    /// `properties.resourceAssociation.accessMode`: `Enforced`, `Learning` (shown as Transition), `Audit`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_mode: Option<String>,
    /// `properties.profile.name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// `properties.profile.accessRules`.
    #[serde(default)]
    pub access_rules: Vec<NspAccessRule>,
}

impl NspConfiguration {
    /// Is the association enforced (rather than learning/transition or audit, which fall back to the
    /// account's own firewall)? An absent mode counts as enforced: the stricter reading.
    pub fn enforced(&self) -> bool {
        self.access_mode.as_deref().is_none_or(|m| m.eq_ignore_ascii_case("Enforced"))
    }
    /// The inbound rules.
    pub fn inbound(&self) -> impl Iterator<Item = &NspAccessRule> {
        self.access_rules.iter().filter(|r| r.direction.as_deref().is_some_and(|d| d.eq_ignore_ascii_case("Inbound")))
    }
    /// Does an inbound rule admit this subscription (a GUID)?
    pub fn admits_subscription(&self, subscription: &str) -> bool {
        self.inbound().any(|r| {
            r.subscriptions.iter().any(|s| {
                s.trim_end_matches('/').rsplit('/').next().is_some_and(|g| g.eq_ignore_ascii_case(subscription))
            })
        })
    }
}

/// One access rule of a perimeter profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NspAccessRule {
    pub name: String,
    /// `Inbound` or `Outbound`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<String>,
    /// Inbound address prefixes (CIDR).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub address_prefixes: Vec<String>,
    /// Inbound subscriptions, as ARM gives them (`/subscriptions/{guid}`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subscriptions: Vec<String>,
}

fn yes() -> bool {
    true
}

impl StorageAccount {
    pub fn shared_key_allowed(&self) -> bool {
        self.allow_shared_key_access.unwrap_or(true)
    }
    pub fn firewall_on(&self) -> bool {
        self.network_acls.as_ref().is_some_and(|n| n.default_action.eq_ignore_ascii_case("Deny"))
    }
    pub fn has_share(&self, share: &str) -> Option<bool> {
        self.shares.as_ref().map(|s| s.iter().any(|x| x.eq_ignore_ascii_case(share)))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkAcls {
    /// Comma-separated: `None`, `AzureServices`, `Logging`, `Metrics`.
    #[serde(default)]
    pub bypass: String,
    /// `Allow` or `Deny`.
    pub default_action: String,
    #[serde(default)]
    pub ip_rules: Vec<String>,
    #[serde(default)]
    pub virtual_network_rules: Vec<String>,
}

impl NetworkAcls {
    pub fn bypasses_azure_services(&self) -> bool {
        self.bypass.split(',').any(|b| b.trim().eq_ignore_ascii_case("AzureServices"))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrivateEndpointConnection {
    pub id: String,
    /// `Approved`, `Pending`, `Rejected`, `Disconnected`.
    #[serde(default)]
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Permission {
    #[serde(default)]
    pub actions: Vec<String>,
    #[serde(default)]
    pub not_actions: Vec<String>,
    #[serde(default)]
    pub data_actions: Vec<String>,
    #[serde(default)]
    pub not_data_actions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleAssignment {
    /// Shared with the findings that name it.
    pub id: crate::model::text::Text,
    pub scope: ResourceId,
    pub role_definition_id: String,
    pub principal_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    /// `createdOn`: a grant made minutes ago may still be propagating.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_on: Option<DateTime<Utc>>,
}

impl RoleAssignment {
    pub fn role_guid(&self) -> String {
        crate::model::resource_id::role_guid(&self.role_definition_id)
    }
    /// Is this an assignment of the role with this (lower-case) guid? Compares without allocating.
    pub fn has_role(&self, guid: &str) -> bool {
        self.role_definition_id.trim_end_matches('/').rsplit('/').next().unwrap_or("").eq_ignore_ascii_case(guid)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DenyAssignment {
    pub id: String,
    pub scope: ResourceId,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub actions: Vec<String>,
    #[serde(default)]
    pub data_actions: Vec<String>,
    #[serde(default)]
    pub not_actions: Vec<String>,
    #[serde(default)]
    pub not_data_actions: Vec<String>,
    /// Principal ids denied (`00000000-...` means everyone).
    #[serde(default)]
    pub principals: Vec<String>,
    #[serde(default)]
    pub exclude_principals: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManagementLock {
    pub id: String,
    /// The scope the lock sits on.
    pub scope: ResourceId,
    /// `ReadOnly` or `CanNotDelete`.
    pub level: String,
}

/// A request that failed during collection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CollectionError {
    /// The resource the failed read was about.
    pub resource_id: String,
    /// What was being read (`storageAccount`, `roleAssignments`, `permissions`, `shares`, ...).
    pub operation: String,
    pub kind: ErrorKind,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arm_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl Snapshot {
    /// Parse a snapshot from JSON text, with a message that names the path of any problem.
    pub fn from_json(text: &str) -> Result<Snapshot> {
        // First only the version (the rest is skipped, not built), so that a snapshot of another version
        // is named as such rather than as a shape error somewhere inside.
        #[derive(Deserialize)]
        struct Header {
            #[serde(rename = "schemaVersion")]
            schema_version: Option<serde_json::Value>,
            // What tells the tool's other files apart (they carry a schemaVersion too).
            findings: Option<serde::de::IgnoredAny>,
            summary: Option<serde::de::IgnoredAny>,
            changes: Option<serde::de::IgnoredAny>,
            #[serde(rename = "manualSteps")]
            manual_steps: Option<serde::de::IgnoredAny>,
        }
        let header: Header = serde_json::from_str(text).map_err(|e| {
            Error::invalid_file(format!(
                "the snapshot is not valid JSON ({e}); was the file cut short or edited by hand?"
            ))
        })?;
        if header.findings.is_some() && header.summary.is_some() {
            return Err(Error::invalid_file(
                "this file is a diagnosis report (test --format json), not a snapshot: a report holds verdicts, not the facts to diagnose again; save a snapshot with `collect --output FILE` (PowerShell: Export-AzFileSyncSnapshot)",
            ));
        }
        if header.changes.is_some() && header.manual_steps.is_some() {
            return Err(Error::invalid_file(
                "this file is a plan (repair --plan-output), not a snapshot: apply it with `apply --plan FILE`, or save a snapshot with `collect --output FILE`",
            ));
        }
        let version = header.schema_version.ok_or_else(|| {
            Error::invalid_file("the file has no 'schemaVersion': it is not a filesync-identity snapshot")
        })?;
        match version.as_u64() {
            Some(v) if SNAPSHOT_SCHEMA_VERSIONS_READ.iter().any(|&r| r as u64 == v) => {}
            Some(v) => {
                let read: Vec<String> = SNAPSHOT_SCHEMA_VERSIONS_READ.iter().map(u32::to_string).collect();
                return Err(Error::invalid_file(format!(
                    "the snapshot has schemaVersion {v}, but this build of filesync-identity reads versions {}; collect it again with this version, or use the version that wrote it",
                    read.join(" and ")
                )));
            }
            None => return Err(Error::invalid_file("'schemaVersion' must be a whole number")),
        }
        // The first pass proved the text is one JSON value with nothing after it.
        let mut de = serde_json::Deserializer::from_str(text);
        serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            Error::invalid_file(format!("the snapshot's shape is broken at '{path}': {}", e.inner()))
        })
    }

    /// Put every list in the order of its items' ids (ignoring case): services, their registered servers
    /// and sync groups, and each group's endpoints; storage accounts and role assignments too. The checks
    /// then meet resources in report order and need not sort their findings.
    pub fn normalize_order(&mut self) {
        fn by_id<T>(items: &mut [T], id: impl Fn(&T) -> &str) {
            if !items.is_sorted_by(|a, b| {
                id(a).bytes().map(|c| c.to_ascii_lowercase()).le(id(b).bytes().map(|c| c.to_ascii_lowercase()))
            }) {
                items.sort_by_cached_key(|x| id(x).to_ascii_lowercase());
            }
        }
        by_id(&mut self.services, |s| s.id.as_str());
        for svc in &mut self.services {
            by_id(&mut svc.registered_servers, |s| s.id.as_str());
            by_id(&mut svc.sync_groups, |g| g.id.as_str());
            for g in &mut svc.sync_groups {
                by_id(&mut g.cloud_endpoints, |c| c.id.as_str());
                by_id(&mut g.server_endpoints, |e| e.id.as_str());
            }
        }
        by_id(&mut self.storage_accounts, |a| a.id.as_str());
        by_id(&mut self.role_assignments, |r| r.id.as_str());
    }

    /// Read and parse a snapshot file.
    pub fn load(path: &Path) -> Result<Snapshot> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::new(ErrorKind::InvalidFile, format!("cannot read the snapshot '{}': {e}", path.display()))
                .with_source(e)
        })?;
        Snapshot::from_json(&text).map_err(|e| e.context(format!("'{}'", path.display())))
    }

    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).expect("a snapshot always serializes")
    }

    /// Write the snapshot atomically (temporary file, flush, rename).
    pub fn save(&self, path: &Path) -> Result<()> {
        crate::fsutil::write_atomic(path, self.to_json_pretty().as_bytes())
    }

    /// Does this snapshot predate the fields of schema version 2 (SMB settings, the service's private
    /// endpoint connections, perimeter configurations)? Checks that need them then say `unknown`.
    pub fn before_schema_2(&self) -> bool {
        self.schema_version < 2
    }

    /// The storage account with this id (case-insensitive).
    pub fn storage_account(&self, id: &ResourceId) -> Option<&StorageAccount> {
        self.storage_accounts.iter().find(|a| &a.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minimal() -> String {
        serde_json::json!({
            "schemaVersion": SNAPSHOT_SCHEMA_VERSION,
            "collectedAt": "2026-11-22T10:00:00Z",
            "toolVersion": "0",
            "cloud": "AzureCloud",
            "target": {"kind": "subscription", "subscriptionId": "2b4e6a8c-1d3f-4a5b-9c7d-0e1f2a3b4c5d"},
            "services": [],
            "storageAccounts": [],
            "roleAssignments": []
        })
        .to_string()
    }

    #[test]
    fn snapshot_text_errors_say_what_is_wrong() {
        Snapshot::from_json(&minimal()).expect("the minimal snapshot loads");
        let cases = [
            (format!("{} {{}}", minimal()), "trailing characters"),
            (minimal()[..minimal().len() - 5].to_string(), "not valid JSON"),
            (
                minimal().replace(&format!("\"schemaVersion\":{SNAPSHOT_SCHEMA_VERSION}"), "\"schemaVersion\":99"),
                "schemaVersion 99",
            ),
            (minimal().replace("\"services\":[]", "\"services\":{}"), "broken at 'services'"),
            ("[]".to_string(), "not valid JSON"),
        ];
        for (text, want) in cases {
            let e = Snapshot::from_json(&text).expect_err(&text);
            assert_eq!(e.kind(), ErrorKind::InvalidFile, "{e}");
            assert!(e.to_string().contains(want), "{want:?} not in {e}");
        }
    }

    #[test]
    fn version_1_snapshots_still_load_and_keep_their_version() {
        assert_eq!(SNAPSHOT_SCHEMA_VERSION, 2);
        let v1 = minimal().replace(&format!("\"schemaVersion\":{SNAPSHOT_SCHEMA_VERSION}"), "\"schemaVersion\":1");
        assert!(v1.contains("\"schemaVersion\":1"), "{v1}");
        let s = Snapshot::from_json(&v1).expect("a version-1 snapshot loads");
        assert_eq!(s.schema_version, 1);
        let e = Snapshot::from_json(&minimal().replace("\"schemaVersion\":2", "\"schemaVersion\":3")).unwrap_err();
        assert!(e.to_string().contains("reads versions 1 and 2"), "{e}");
    }
}
