//! The seed of a fake ARM world: JSON-loadable (camelCase keys, every field optional with a default,
//! unknown keys rejected so a typo in a test topology fails loudly) and buildable in code.
//!
//! The format is documented in `tests/fake-arm/README.md`.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::fault::Fault;

/// The tenant used when a topology names none.
pub const DEFAULT_TENANT: &str = "72f988bf-0000-4000-8000-00000000fa4e";

/// Built-in role GUIDs the fake knows (the same in every tenant).
pub mod roles {
    pub const OWNER: &str = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
    pub const CONTRIBUTOR: &str = "b24988ac-6180-42a0-ab88-20f7382dd24c";
    pub const READER: &str = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
    pub const USER_ACCESS_ADMINISTRATOR: &str = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9";
    pub const RBAC_ADMINISTRATOR: &str = "f58310d9-a9f6-439a-9e8d-f62e7b41a168";
    pub const FILE_SYNC_ADMINISTRATOR: &str = "92b92042-07d9-4307-87f7-36a593fc5850";
    pub const FILE_SYNC_READER: &str = "754c1a27-40dc-4708-8ad4-2bffdeee09e8";
    pub const STORAGE_ACCOUNT_CONTRIBUTOR: &str = "17d1049b-9a84-46fb-8f53-869881c3d3ab";
    pub const STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR: &str = "69566ab7-960f-475b-8e7c-b3118f30c6bd";
    pub const READER_AND_DATA_ACCESS: &str = "c12c1c16-33a1-487b-954d-41c89c60f349";
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Topology {
    pub tenant_id: String,
    /// Items per page for every list (`nextLink` / `@odata.nextLink` beyond that).
    pub page_size: usize,
    /// Bearer token string -> who it is.
    pub tokens: BTreeMap<String, TokenSeed>,
    /// Service principals (identities) that exist in the directory. Role assignment PUTs for any other
    /// principal fail with 400 PrincipalNotFound.
    pub principals: Vec<String>,
    /// A principal added to the directory (at start, by a write, or by `add_principal`) is not yet
    /// replicated for this long: role assignment PUTs for it fail with 400 PrincipalNotFound.
    pub principal_replication_delay_ms: u64,
    /// When true, a PUT that sets `principalType` is not subject to the replication delay (the behaviour
    /// Microsoft documents at https://aka.ms/docs-principaltype). Default false: the delay always applies.
    pub principal_type_skips_replication_delay: bool,
    pub storage_sync_services: Vec<ServiceSeed>,
    pub storage_accounts: Vec<StorageAccountSeed>,
    pub role_assignments: Vec<RoleAssignmentSeed>,
    /// Custom role definitions (built-in ones are embedded).
    pub role_definitions: Vec<RoleDefinitionSeed>,
    pub deny_assignments: Vec<DenyAssignmentSeed>,
    pub locks: Vec<LockSeed>,
    pub management_groups: Vec<ManagementGroupSeed>,
    /// Extra (possibly empty) resource groups; the groups of seeded resources exist anyway.
    pub resource_groups: Vec<ResourceGroupSeed>,
    /// Extra subscriptions; the subscriptions of seeded resources, assignments and groups exist anyway.
    pub subscriptions: Vec<String>,
    pub graph: GraphSeed,
    /// Azure Arc-enabled servers (`Microsoft.HybridCompute/machines`) and Azure VMs
    /// (`Microsoft.Compute/virtualMachines`), with their system-assigned identities.
    pub machines: Vec<MachineSeed>,
    /// Every answer goes out this long after its request arrived (an async sleep: other requests are served
    /// meanwhile; the fake's own work on the request is done within it, off the runtime's worker threads).
    pub latency_ms: u64,
    /// Per-subscription token bucket for reads (GET). None: unlimited.
    pub throttle: Option<ThrottleSeed>,
    /// How long a long-running operation (PATCH) stays `InProgress`; its change is visible only after.
    pub lro_delay_ms: u64,
    /// The `Retry-After` seconds sent with 202 answers and running operation polls.
    pub lro_retry_after_secs: u64,
    /// How long a registered server keeps `activeAuthType` Certificate after a PATCH switched it to its
    /// identity (`identity` true, `applicationId` set at once): the agent picks the switch up later (the
    /// troubleshooting article gives up to 15 minutes). 0: at once.
    pub server_auth_switch_delay_ms: u64,
    /// Faults active from the start (the same as calling `FakeArm::inject` for each).
    pub faults: Vec<Fault>,
    /// Activity Log events that happened before the fake started (its own writes add more).
    pub activity_log: Vec<ActivityEventSeed>,
    /// Azure Resource Graph: the per-user quota and the lag mode.
    pub resource_graph: ResourceGraphSeed,
}

/// How the fake's Azure Resource Graph behaves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct ResourceGraphSeed {
    /// Queries a user may send per window (ARG's documented example: 15 per 5 seconds).
    pub quota_per_window: u32,
    pub window_ms: u64,
    /// Lag: Storage Sync Service ids ARG still lists though ARM no longer has them.
    pub stale_service_ids: Vec<String>,
    /// Lag: storage accounts as ARG still shows them (matched to ARM's account by id), though ARM has
    /// changed them since.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stale_accounts: Vec<StorageAccountSeed>,
    /// Lag: storage account ids ARM has that ARG does not list yet (created minutes ago).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unindexed_account_ids: Vec<String>,
    /// Lag: machines (Azure Arc-enabled servers, Azure VMs) as ARG still shows them (matched to ARM's
    /// machine by id), though ARM has changed them since (an identity reset, a disconnected agent).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stale_machines: Vec<MachineSeed>,
    /// Lag: machine ids ARM has that ARG does not list yet.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unindexed_machine_ids: Vec<String>,
    /// Casing: ids as ARG writes them where it writes them otherwise than ARM (each names a service,
    /// storage account or machine of the topology, ignoring case). A row of that resource carries this
    /// text as its `id`. Real ARG mostly keeps the provider's casing in `id` but not always: it has been
    /// seen to lower-case the resource group segment, and to flip back later (see `arg.rs`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub recased_ids: Vec<String>,
}

impl Default for ResourceGraphSeed {
    fn default() -> Self {
        ResourceGraphSeed {
            quota_per_window: 15,
            window_ms: 5000,
            stale_service_ids: Vec::new(),
            stale_accounts: Vec::new(),
            unindexed_account_ids: Vec::new(),
            stale_machines: Vec::new(),
            unindexed_machine_ids: Vec::new(),
            recased_ids: Vec::new(),
        }
    }
}

impl Default for Topology {
    fn default() -> Self {
        Topology {
            tenant_id: DEFAULT_TENANT.to_string(),
            page_size: 100,
            tokens: BTreeMap::new(),
            principals: Vec::new(),
            principal_replication_delay_ms: 0,
            principal_type_skips_replication_delay: false,
            storage_sync_services: Vec::new(),
            storage_accounts: Vec::new(),
            role_assignments: Vec::new(),
            role_definitions: Vec::new(),
            deny_assignments: Vec::new(),
            locks: Vec::new(),
            management_groups: Vec::new(),
            resource_groups: Vec::new(),
            subscriptions: Vec::new(),
            graph: GraphSeed::default(),
            machines: Vec::new(),
            latency_ms: 0,
            throttle: None,
            lro_delay_ms: 0,
            lro_retry_after_secs: 1,
            server_auth_switch_delay_ms: 0,
            faults: Vec::new(),
            activity_log: Vec::new(),
            resource_graph: ResourceGraphSeed::default(),
        }
    }
}

impl Topology {
    pub fn new() -> Self {
        Self::default()
    }

    /// Parse a topology from JSON text; the error names the path of the problem.
    pub fn from_json(text: &str) -> Result<Topology, String> {
        serde_json::from_str(text).map_err(|e| format!("invalid topology: {e}"))
    }

    /// Read and parse a topology file.
    pub fn load(path: &Path) -> Result<Topology, String> {
        let text =
            std::fs::read_to_string(path).map_err(|e| format!("cannot read topology '{}': {e}", path.display()))?;
        Self::from_json(&text).map_err(|e| format!("'{}': {e}", path.display()))
    }

    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).expect("a topology always serializes")
    }

    pub fn with_tenant(mut self, tenant: &str) -> Self {
        self.tenant_id = tenant.to_string();
        self
    }
    pub fn with_page_size(mut self, n: usize) -> Self {
        self.page_size = n;
        self
    }
    /// A token for `principal` that never expires.
    pub fn with_token(mut self, token: &str, principal: &str) -> Self {
        self.tokens.insert(token.to_string(), TokenSeed::new(principal));
        self
    }
    pub fn with_principal(mut self, principal: &str) -> Self {
        self.principals.push(principal.to_string());
        self
    }
    pub fn with_service(mut self, service: ServiceSeed) -> Self {
        self.storage_sync_services.push(service);
        self
    }
    pub fn with_storage_account(mut self, account: StorageAccountSeed) -> Self {
        self.storage_accounts.push(account);
        self
    }
    pub fn with_role_assignment(mut self, ra: RoleAssignmentSeed) -> Self {
        self.role_assignments.push(ra);
        self
    }
    /// Shorthand: assign a built-in role (GUID) to `principal` at `scope` with a generated name.
    pub fn assign(self, scope: &str, role_guid: &str, principal: &str) -> Self {
        let name = uuid::Uuid::new_v5(
            &uuid::Uuid::NAMESPACE_OID,
            format!("{scope}|{role_guid}|{principal}").to_lowercase().as_bytes(),
        )
        .to_string();
        self.with_role_assignment(RoleAssignmentSeed::new(&name, scope, role_guid, principal))
    }
    pub fn with_lock(mut self, lock: LockSeed) -> Self {
        self.locks.push(lock);
        self
    }
    pub fn with_deny_assignment(mut self, deny: DenyAssignmentSeed) -> Self {
        self.deny_assignments.push(deny);
        self
    }
    pub fn with_management_group(mut self, mg: ManagementGroupSeed) -> Self {
        self.management_groups.push(mg);
        self
    }
    pub fn with_graph_service_principal(mut self, sp: ServicePrincipalSeed) -> Self {
        self.graph.service_principals.push(sp);
        self
    }
    pub fn with_machine(mut self, machine: MachineSeed) -> Self {
        self.machines.push(machine);
        self
    }
    /// A machine with a system-assigned identity, and that identity's service principal in Graph (as Entra
    /// ID creates it: `servicePrincipalType` ManagedIdentity, `alternativeNames` naming the machine).
    pub fn with_machine_identity(self, machine: MachineSeed) -> Self {
        let sp = machine
            .principal_id
            .as_deref()
            .map(|p| ServicePrincipalSeed::managed_identity(p, &machine.id(), &machine.name));
        let t = self.with_machine(machine);
        match sp {
            Some(sp) => t.with_graph_service_principal(sp),
            None => t,
        }
    }
    pub fn with_throttle(mut self, burst: f64, refill_per_second: f64) -> Self {
        self.throttle = Some(ThrottleSeed { burst, refill_per_second });
        self
    }
    pub fn with_latency_ms(mut self, ms: u64) -> Self {
        self.latency_ms = ms;
        self
    }
    pub fn with_lro_delay_ms(mut self, ms: u64) -> Self {
        self.lro_delay_ms = ms;
        self
    }
    pub fn with_replication_delay_ms(mut self, ms: u64) -> Self {
        self.principal_replication_delay_ms = ms;
        self
    }
    pub fn with_fault(mut self, fault: Fault) -> Self {
        self.faults.push(fault);
        self
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct TokenSeed {
    /// The caller's object id (`oid`).
    pub principal_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
    /// May this token read Microsoft Graph? Default true.
    #[serde(default = "yes")]
    pub graph: bool,
    /// The token's audience, as Entra ID issues one token per resource: `arm` (refused by Graph) or
    /// `graph` (refused by ARM, as real ARM refuses a token for another audience). Default: unset, a
    /// token both accept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<TokenAudience>,
    /// The name the Activity Log shows as the `caller` of this token's writes (a user's UPN such as
    /// `alice@contoso.com`); default: the principal id, as ARM shows for service principals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller: Option<String>,
}

/// One Activity Log (administrative) event: a write that ARM recorded. Seeded events stand for what
/// happened before the fake started; the fake appends one for every write it performs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ActivityEventSeed {
    pub event_timestamp: DateTime<Utc>,
    /// UPN of a user, or the object id / app id of a service principal.
    pub caller: String,
    /// `Microsoft.Authorization/roleAssignments/delete`, `Microsoft.Storage/storageAccounts/write`, ...
    pub operation_name: String,
    /// The resource written (a role assignment's full id for role assignment writes).
    pub resource_id: String,
    /// `Started`, `Accepted`, `Succeeded` or `Failed`.
    #[serde(default = "succeeded")]
    pub status: String,
    /// The HTTP status text of the answer (`OK`, `Created`, `Accepted`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_status: Option<String>,
    /// Default: a fresh GUID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    /// `PUT`, `PATCH`, `DELETE`, `POST`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_method: Option<String>,
    /// The request's body (ARM records it as a JSON string in `properties.requestbody`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_body: Option<Value>,
    /// The answer's body (`properties.responseBody`): for a role assignment delete, the deleted assignment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_body: Option<Value>,
}

fn succeeded() -> String {
    "Succeeded".to_string()
}

/// Whom a token was issued for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TokenAudience {
    Arm,
    Graph,
}

impl TokenSeed {
    pub fn new(principal: &str) -> Self {
        TokenSeed { principal_id: principal.to_string(), expires_at: None, graph: true, audience: None, caller: None }
    }
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct ServiceSeed {
    pub subscription_id: String,
    pub resource_group: String,
    pub name: String,
    pub location: String,
    pub identity: Option<IdentitySeed>,
    pub use_identity: bool,
    /// `AllowAllTraffic` (default) or `AllowVirtualNetworksOnly`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incoming_traffic_policy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_modified_at: Option<DateTime<Utc>>,
    /// The service's private endpoint connections (`properties.privateEndpointConnections`, and the
    /// `{svc}/privateEndpointConnections` list).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub private_endpoint_connections: Vec<PrivateEndpointConnectionSeed>,
    pub registered_servers: Vec<RegisteredServerSeed>,
    pub sync_groups: Vec<SyncGroupSeed>,
}

impl ServiceSeed {
    pub fn new(subscription: &str, resource_group: &str, name: &str) -> Self {
        ServiceSeed {
            subscription_id: subscription.to_string(),
            resource_group: resource_group.to_string(),
            name: name.to_string(),
            location: "westus".to_string(),
            ..Default::default()
        }
    }
    /// A system-assigned identity with this principal id (tenant: the topology's).
    pub fn with_identity(mut self, principal_id: &str) -> Self {
        self.identity = Some(IdentitySeed {
            kind: "SystemAssigned".into(),
            principal_id: Some(principal_id.into()),
            tenant_id: None,
        });
        self
    }
    pub fn with_use_identity(mut self, on: bool) -> Self {
        self.use_identity = on;
        self
    }
    pub fn with_location(mut self, location: &str) -> Self {
        self.location = location.to_string();
        self
    }
    pub fn with_server(mut self, server: RegisteredServerSeed) -> Self {
        self.registered_servers.push(server);
        self
    }
    pub fn with_sync_group(mut self, group: SyncGroupSeed) -> Self {
        self.sync_groups.push(group);
        self
    }
    /// The ARM id, in the seed's casing.
    pub fn id(&self) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.StorageSync/storageSyncServices/{}",
            self.subscription_id, self.resource_group, self.name
        )
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct IdentitySeed {
    /// `SystemAssigned` (the fake does not model user-assigned identities).
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal_id: Option<String>,
    /// Default: the topology's tenant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct RegisteredServerSeed {
    pub server_id: String,
    pub server_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub friendly_name: Option<String>,
    pub agent_version: String,
    /// `Ok`, `NearExpiry`, `Expired`, `Blocked`.
    pub agent_version_status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_version_expiration_date: Option<String>,
    /// `Standalone`, `ClusterNode`, `ClusterName`.
    pub server_role: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_heart_beat: Option<String>,
    /// `Certificate` or `ManagedIdentity`.
    pub active_auth_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest_application_id: Option<String>,
    /// Default: `activeAuthType == ManagedIdentity`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_os_version: Option<String>,
}

impl Default for RegisteredServerSeed {
    fn default() -> Self {
        RegisteredServerSeed {
            server_id: String::new(),
            server_name: String::new(),
            friendly_name: None,
            agent_version: "20.0.0.0".into(),
            agent_version_status: "Ok".into(),
            agent_version_expiration_date: None,
            server_role: "Standalone".into(),
            cluster_id: None,
            cluster_name: None,
            last_heart_beat: None,
            active_auth_type: "Certificate".into(),
            application_id: None,
            latest_application_id: None,
            identity: None,
            server_os_version: None,
        }
    }
}

impl RegisteredServerSeed {
    pub fn new(server_id: &str, server_name: &str) -> Self {
        RegisteredServerSeed { server_id: server_id.into(), server_name: server_name.into(), ..Default::default() }
    }
    /// Certificate mode with an identity ready to use (`latestApplicationId`).
    pub fn ready_for_identity(mut self, identity: &str) -> Self {
        self.active_auth_type = "Certificate".into();
        self.latest_application_id = Some(identity.into());
        self
    }
    /// ManagedIdentity mode with this identity.
    pub fn using_identity(mut self, identity: &str) -> Self {
        self.active_auth_type = "ManagedIdentity".into();
        self.application_id = Some(identity.into());
        self.identity = Some(true);
        self
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct SyncGroupSeed {
    pub name: String,
    pub cloud_endpoints: Vec<CloudEndpointSeed>,
    pub server_endpoints: Vec<ServerEndpointSeed>,
}

impl SyncGroupSeed {
    pub fn new(name: &str) -> Self {
        SyncGroupSeed { name: name.into(), ..Default::default() }
    }
    pub fn with_cloud_endpoint(mut self, ce: CloudEndpointSeed) -> Self {
        self.cloud_endpoints.push(ce);
        self
    }
    pub fn with_server_endpoint(mut self, se: ServerEndpointSeed) -> Self {
        self.server_endpoints.push(se);
        self
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct CloudEndpointSeed {
    /// A GUID, like the real service.
    pub name: String,
    pub storage_account_resource_id: String,
    pub azure_file_share_name: String,
    /// Default: the topology's tenant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage_account_tenant_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub friendly_name: Option<String>,
}

impl CloudEndpointSeed {
    pub fn new(name: &str, storage_account_resource_id: &str, share: &str) -> Self {
        CloudEndpointSeed {
            name: name.into(),
            storage_account_resource_id: storage_account_resource_id.into(),
            azure_file_share_name: share.into(),
            ..Default::default()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct ServerEndpointSeed {
    /// A GUID, like the real service.
    pub name: String,
    /// The `serverId` of a registered server of the same service.
    pub server_id: String,
    pub server_local_path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub friendly_name: Option<String>,
    pub upload_last_sync_result: i32,
    pub download_last_sync_result: i32,
    pub files_not_syncing_errors: Vec<FilesNotSyncingSeed>,
    pub recall_errors: Vec<RecallErrorSeed>,
}

impl ServerEndpointSeed {
    pub fn new(name: &str, server_id: &str, local_path: &str) -> Self {
        ServerEndpointSeed {
            name: name.into(),
            server_id: server_id.into(),
            server_local_path: local_path.into(),
            ..Default::default()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct FilesNotSyncingSeed {
    pub error_code: i32,
    pub persistent_count: u64,
    pub transient_count: u64,
    /// `upload` (default) or `download`.
    pub direction: String,
}

impl Default for FilesNotSyncingSeed {
    fn default() -> Self {
        FilesNotSyncingSeed { error_code: 0, persistent_count: 0, transient_count: 0, direction: "upload".into() }
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct RecallErrorSeed {
    pub error_code: i32,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct StorageAccountSeed {
    pub subscription_id: String,
    pub resource_group: String,
    pub name: String,
    pub location: String,
    /// Default `StorageV2`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    pub network_acls: NetworkAclsSeed,
    /// Rendered only when seeded (absent means allowed, like ARM).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_shared_key_access: Option<bool>,
    /// Rendered only when seeded (absent means enabled).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_network_access: Option<String>,
    pub private_endpoint_connections: Vec<PrivateEndpointConnectionSeed>,
    pub shares: Vec<String>,
    /// The file service's `protocolSettings.smb` (`GET .../fileServices/default`); absent: not shown,
    /// which means every value is allowed, as on a new account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smb: Option<SmbSeed>,
    /// Network security perimeter associations (`GET .../networkSecurityPerimeterConfigurations`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub network_security_perimeter_configurations: Vec<NspConfigurationSeed>,
}

/// A file service's SMB settings: `;`-separated lists, each shown only when seeded.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct SmbSeed {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub versions: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authentication_methods: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kerberos_ticket_encryption: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel_encryption: Option<String>,
}

/// A storage account's association with a network security perimeter, and the profile's access rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct NspConfigurationSeed {
    /// The perimeter's full id (`/subscriptions/../providers/Microsoft.Network/networkSecurityPerimeters/x`).
    pub perimeter_id: String,
    /// `Enforced`, `Learning` or `Audit`.
    pub access_mode: String,
    pub profile: String,
    pub access_rules: Vec<NspAccessRuleSeed>,
}

impl Default for NspConfigurationSeed {
    fn default() -> Self {
        NspConfigurationSeed {
            perimeter_id: String::new(),
            access_mode: "Enforced".into(),
            profile: "defaultProfile".into(),
            access_rules: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct NspAccessRuleSeed {
    pub name: String,
    /// `Inbound` or `Outbound`.
    pub direction: String,
    pub address_prefixes: Vec<String>,
    /// Subscription GUIDs (shown as `/subscriptions/{guid}`, as ARM does).
    pub subscriptions: Vec<String>,
}

impl StorageAccountSeed {
    pub fn new(subscription: &str, resource_group: &str, name: &str) -> Self {
        StorageAccountSeed {
            subscription_id: subscription.into(),
            resource_group: resource_group.into(),
            name: name.into(),
            location: "westus".into(),
            ..Default::default()
        }
    }
    pub fn with_share(mut self, share: &str) -> Self {
        self.shares.push(share.into());
        self
    }
    pub fn with_firewall(mut self, default_action: &str, bypass: &str) -> Self {
        self.network_acls.default_action = default_action.into();
        self.network_acls.bypass = bypass.into();
        self
    }
    /// The ARM id, in the seed's casing.
    pub fn id(&self) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Storage/storageAccounts/{}",
            self.subscription_id, self.resource_group, self.name
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct NetworkAclsSeed {
    pub bypass: String,
    pub default_action: String,
    pub ip_rules: Vec<IpRuleSeed>,
    pub virtual_network_rules: Vec<VirtualNetworkRuleSeed>,
    pub resource_access_rules: Vec<ResourceAccessRuleSeed>,
}

impl Default for NetworkAclsSeed {
    fn default() -> Self {
        NetworkAclsSeed {
            bypass: "AzureServices".into(),
            default_action: "Allow".into(),
            ip_rules: Vec::new(),
            virtual_network_rules: Vec::new(),
            resource_access_rules: Vec::new(),
        }
    }
}

/// A resource instance rule (`networkAcls.resourceAccessRules[]`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct ResourceAccessRuleSeed {
    pub tenant_id: String,
    pub resource_id: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct IpRuleSeed {
    pub value: String,
    /// Default `Allow`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct VirtualNetworkRuleSeed {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// Default `Succeeded`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct PrivateEndpointConnectionSeed {
    pub name: String,
    /// `Approved`, `Pending`, `Rejected`, `Disconnected`.
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct RoleAssignmentSeed {
    /// A GUID.
    pub name: String,
    pub scope: String,
    /// A role GUID or a full role definition id.
    pub role_definition_id: String,
    pub principal_id: String,
    pub principal_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl Default for RoleAssignmentSeed {
    fn default() -> Self {
        RoleAssignmentSeed {
            name: String::new(),
            scope: String::new(),
            role_definition_id: String::new(),
            principal_id: String::new(),
            principal_type: "ServicePrincipal".into(),
            condition: None,
            condition_version: None,
            description: None,
        }
    }
}

impl RoleAssignmentSeed {
    pub fn new(name: &str, scope: &str, role: &str, principal: &str) -> Self {
        RoleAssignmentSeed {
            name: name.into(),
            scope: scope.into(),
            role_definition_id: role.into(),
            principal_id: principal.into(),
            ..Default::default()
        }
    }
    pub fn with_principal_type(mut self, t: &str) -> Self {
        self.principal_type = t.into();
        self
    }
    pub fn with_condition(mut self, condition: &str) -> Self {
        self.condition = Some(condition.into());
        self.condition_version = Some("2.0".into());
        self
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct RoleDefinitionSeed {
    /// A GUID.
    pub id: String,
    pub role_name: String,
    pub description: String,
    pub actions: Vec<String>,
    pub not_actions: Vec<String>,
    pub data_actions: Vec<String>,
    pub not_data_actions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct DenyAssignmentSeed {
    pub name: String,
    pub scope: String,
    pub actions: Vec<String>,
    pub data_actions: Vec<String>,
    pub not_actions: Vec<String>,
    pub not_data_actions: Vec<String>,
    /// Principal ids denied; `00000000-0000-0000-0000-000000000000` means everyone.
    pub principals: Vec<String>,
    pub exclude_principals: Vec<String>,
    pub do_not_apply_to_child_scopes: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct LockSeed {
    pub name: String,
    pub scope: String,
    /// `ReadOnly` or `CanNotDelete`.
    pub level: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

impl LockSeed {
    pub fn new(name: &str, scope: &str, level: &str) -> Self {
        LockSeed { name: name.into(), scope: scope.into(), level: level.into(), notes: None }
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct ManagementGroupSeed {
    pub name: String,
    /// Subscriptions directly in this group.
    pub subscriptions: Vec<String>,
    /// The parent group's name (None: directly under the tenant root).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
}

impl ManagementGroupSeed {
    pub fn new(name: &str, subscriptions: &[&str]) -> Self {
        ManagementGroupSeed {
            name: name.into(),
            subscriptions: subscriptions.iter().map(|s| s.to_string()).collect(),
            parent: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct ResourceGroupSeed {
    pub subscription_id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct GraphSeed {
    pub service_principals: Vec<ServicePrincipalSeed>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct ServicePrincipalSeed {
    pub app_id: String,
    /// The object id.
    pub id: String,
    pub display_name: String,
    /// `Application` (default) or `ManagedIdentity`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_principal_type: Option<String>,
    /// For a managed identity: `isExplicit=False` (system-assigned) and the owning resource's id.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alternative_names: Vec<String>,
}

impl ServicePrincipalSeed {
    pub fn new(app_id: &str, object_id: &str, display_name: &str) -> Self {
        ServicePrincipalSeed {
            app_id: app_id.into(),
            id: object_id.into(),
            display_name: display_name.into(),
            service_principal_type: None,
            alternative_names: Vec::new(),
        }
    }
    /// The service principal of a system-assigned managed identity owned by `owner` (a resource id). Its
    /// appId is derived from the object id (any GUID will do; nothing looks it up).
    pub fn managed_identity(object_id: &str, owner: &str, display_name: &str) -> Self {
        let app_id = format!("a0{}", &object_id[2.min(object_id.len())..]);
        ServicePrincipalSeed {
            app_id,
            id: object_id.into(),
            display_name: display_name.into(),
            service_principal_type: Some("ManagedIdentity".into()),
            alternative_names: vec!["isExplicit=False".into(), owner.into()],
        }
    }
}

/// What a machine is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum MachineKindSeed {
    /// `Microsoft.HybridCompute/machines` (an Azure Arc-enabled server).
    #[default]
    Arc,
    /// `Microsoft.Compute/virtualMachines`.
    Vm,
}

/// An Azure Arc-enabled server or an Azure VM.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct MachineSeed {
    pub kind: MachineKindSeed,
    pub subscription_id: String,
    pub resource_group: String,
    pub name: String,
    /// Default `westus`.
    pub location: String,
    /// The system-assigned identity's object id; none: the machine has no identity (`identity` absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal_id: Option<String>,
    /// An Azure Arc machine's `properties.status` (`Connected`, `Disconnected`, `Error`, `Expired`); none:
    /// `Connected`. Azure VMs carry no such property, so seeding it on one is refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

impl MachineSeed {
    pub fn arc(sub: &str, rg: &str, name: &str, principal: Option<&str>) -> Self {
        MachineSeed {
            kind: MachineKindSeed::Arc,
            subscription_id: sub.into(),
            resource_group: rg.into(),
            name: name.into(),
            location: String::new(),
            principal_id: principal.map(str::to_string),
            status: None,
        }
    }
    /// The same machine with this Azure Arc agent status (`Disconnected`, `Expired`, ...).
    pub fn with_status(mut self, status: &str) -> Self {
        self.status = Some(status.into());
        self
    }
    pub fn vm(sub: &str, rg: &str, name: &str, principal: Option<&str>) -> Self {
        MachineSeed { kind: MachineKindSeed::Vm, ..MachineSeed::arc(sub, rg, name, principal) }
    }
    pub fn id(&self) -> String {
        let (ns, ty) = match self.kind {
            MachineKindSeed::Arc => ("Microsoft.HybridCompute", "machines"),
            MachineKindSeed::Vm => ("Microsoft.Compute", "virtualMachines"),
        };
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/{ns}/{ty}/{}",
            self.subscription_id, self.resource_group, self.name
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ThrottleSeed {
    pub burst: f64,
    pub refill_per_second: f64,
}

impl Default for ThrottleSeed {
    fn default() -> Self {
        ThrottleSeed { burst: 250.0, refill_per_second: 25.0 }
    }
}
