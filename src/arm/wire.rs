//! The shapes ARM sends (lenient: every field optional, unknown fields ignored) and their conversion
//! into the snapshot's model. ARM is not always tidy: the examples in the REST specs carry GUIDs wrapped
//! in extra quotes and empty strings for absent ids, so every string is normalized on the way in.

use serde::Deserialize;
use serde_json::Value;

use crate::error::{Error, ErrorKind, Result};
use crate::model::resource_id::ResourceId;
use crate::model::snapshot::*;

/// Trim whitespace and stray quotes; empty becomes `None`.
fn clean(s: Option<String>) -> Option<String> {
    let s = s?;
    let t = s.trim().trim_matches('"').trim();
    if t.is_empty() {
        None
    } else {
        Some(t.to_string())
    }
}

/// ARM sometimes sends numbers as strings; accept both.
fn de_opt_i64<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Option<i64>, D::Error> {
    let v = Option::<Value>::deserialize(d)?;
    Ok(match v {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    })
}

/// Accept `true`/`false` and `"true"`/`"false"`.
fn de_opt_bool<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Option<bool>, D::Error> {
    let v = Option::<Value>::deserialize(d)?;
    Ok(match v {
        Some(Value::Bool(b)) => Some(b),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    })
}

fn parse<T: for<'de> Deserialize<'de>>(what: &str, v: &Value) -> Result<T> {
    serde_path_to_error::deserialize(v.clone()).map_err(|e| {
        Error::new(ErrorKind::Arm, format!("ARM sent a {what} in an unexpected shape at '{}': {}", e.path(), e.inner()))
    })
}

fn resource_id(what: &str, id: Option<String>) -> Result<ResourceId> {
    let raw = clean(id).ok_or_else(|| Error::new(ErrorKind::Arm, format!("ARM sent a {what} without an id")))?;
    ResourceId::parse(&raw)
        .map_err(|e| Error::new(ErrorKind::Arm, format!("ARM sent a {what} with an unusable id: {}", e.message())))
}

fn name_of(id: &ResourceId, name: Option<String>) -> String {
    clean(name).unwrap_or_else(|| id.name().unwrap_or_default().to_string())
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ArmIdentity {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub principal_id: Option<String>,
    pub tenant_id: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ArmSystemData {
    pub last_modified_at: Option<String>,
    pub created_at: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ArmServiceProperties {
    #[serde(deserialize_with = "de_opt_bool")]
    pub use_identity: Option<bool>,
    pub incoming_traffic_policy: Option<String>,
    pub provisioning_state: Option<String>,
    /// Absent (rather than empty) when ARM does not report them.
    pub private_endpoint_connections: Option<Vec<ArmPec>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ArmStorageSyncService {
    pub id: Option<String>,
    pub name: Option<String>,
    pub location: Option<String>,
    pub identity: Option<ArmIdentity>,
    pub properties: Option<ArmServiceProperties>,
    pub system_data: Option<ArmSystemData>,
}

fn parse_time(s: Option<&str>) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(s?.trim()).ok().map(|d| d.with_timezone(&chrono::Utc))
}

/// A Storage Sync Service (without its children).
/// The system-assigned identity's object id of any ARM resource (`identity.principalId` when
/// `identity.type` includes `SystemAssigned`), as Machines_Get and VirtualMachines_Get show it.
pub fn system_principal_id(v: &Value) -> Option<&str> {
    let identity = v.get("identity")?;
    let kind = identity.get("type").and_then(Value::as_str)?;
    if !kind.to_ascii_lowercase().contains("systemassigned") {
        return None;
    }
    identity
        .get("principalId")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|p| !p.is_empty() && !crate::model::resource_id::is_zero_guid(p))
}

pub fn service(v: &Value) -> Result<StorageSyncService> {
    let s: ArmStorageSyncService = parse("Storage Sync Service", v)?;
    let id = resource_id("Storage Sync Service", s.id)?;
    let props = s.properties.unwrap_or_default();
    let identity = s.identity.and_then(|i| {
        let kind = clean(i.kind)?;
        if kind.eq_ignore_ascii_case("None") {
            return None;
        }
        Some(ManagedIdentity { kind, principal_id: clean(i.principal_id), tenant_id: clean(i.tenant_id) })
    });
    Ok(StorageSyncService {
        name: name_of(&id, s.name),
        id,
        location: clean(s.location),
        identity,
        use_identity: props.use_identity.unwrap_or(false),
        incoming_traffic_policy: clean(props.incoming_traffic_policy),
        private_endpoint_connections: props.private_endpoint_connections.map(private_endpoint_connections),
        last_modified_at: s.system_data.as_ref().and_then(|d| parse_time(d.last_modified_at.as_deref())),
        registered_servers: Vec::new(),
        sync_groups: Vec::new(),
    })
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ArmRegisteredServerProperties {
    pub server_id: Option<String>,
    pub server_name: Option<String>,
    pub friendly_name: Option<String>,
    pub agent_version: Option<String>,
    pub agent_version_status: Option<String>,
    pub agent_version_expiration_date: Option<String>,
    pub server_role: Option<String>,
    pub cluster_id: Option<String>,
    pub cluster_name: Option<String>,
    pub last_heart_beat: Option<String>,
    pub application_id: Option<String>,
    #[serde(deserialize_with = "de_opt_bool")]
    pub identity: Option<bool>,
    pub latest_application_id: Option<String>,
    pub active_auth_type: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ArmResource<P> {
    pub id: Option<String>,
    pub name: Option<String>,
    pub properties: Option<P>,
}

pub fn registered_server(v: &Value) -> Result<RegisteredServer> {
    let r: ArmResource<ArmRegisteredServerProperties> = parse("registered server", v)?;
    let id = resource_id("registered server", r.id)?;
    let p = r.properties.unwrap_or_default();
    Ok(RegisteredServer {
        server_id: clean(p.server_id).unwrap_or_else(|| id.name().unwrap_or_default().to_string()),
        id,
        server_name: clean(p.server_name),
        friendly_name: clean(p.friendly_name),
        agent_version: clean(p.agent_version),
        agent_version_status: clean(p.agent_version_status),
        agent_version_expiration_date: clean(p.agent_version_expiration_date),
        server_role: clean(p.server_role),
        cluster_id: clean(p.cluster_id),
        cluster_name: clean(p.cluster_name),
        last_heart_beat: clean(p.last_heart_beat),
        application_id: clean(p.application_id),
        identity: p.identity,
        latest_application_id: clean(p.latest_application_id),
        active_auth_type: clean(p.active_auth_type),
        machine: None,
    })
}

pub fn sync_group(v: &Value) -> Result<SyncGroup> {
    let r: ArmResource<Value> = parse("sync group", v)?;
    let id = resource_id("sync group", r.id)?;
    Ok(SyncGroup { name: name_of(&id, r.name), id, cloud_endpoints: Vec::new(), server_endpoints: Vec::new() })
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ArmCloudEndpointProperties {
    pub storage_account_resource_id: Option<String>,
    pub azure_file_share_name: Option<String>,
    pub storage_account_tenant_id: Option<String>,
    pub friendly_name: Option<String>,
}

pub fn cloud_endpoint(v: &Value) -> Result<CloudEndpoint> {
    let r: ArmResource<ArmCloudEndpointProperties> = parse("cloud endpoint", v)?;
    let id = resource_id("cloud endpoint", r.id)?;
    let p = r.properties.unwrap_or_default();
    Ok(CloudEndpoint {
        name: name_of(&id, r.name),
        id,
        friendly_name: clean(p.friendly_name),
        storage_account_resource_id: clean(p.storage_account_resource_id),
        azure_file_share_name: clean(p.azure_file_share_name),
        storage_account_tenant_id: clean(p.storage_account_tenant_id),
    })
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ArmFilesNotSyncingError {
    #[serde(deserialize_with = "de_opt_i64")]
    pub error_code: Option<i64>,
    #[serde(deserialize_with = "de_opt_i64")]
    pub persistent_count: Option<i64>,
    #[serde(deserialize_with = "de_opt_i64")]
    pub transient_count: Option<i64>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ArmSyncSessionStatus {
    #[serde(deserialize_with = "de_opt_i64")]
    pub last_sync_result: Option<i64>,
    pub last_sync_timestamp: Option<String>,
    pub files_not_syncing_errors: Option<Vec<ArmFilesNotSyncingError>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ArmSyncStatus {
    pub upload_status: Option<ArmSyncSessionStatus>,
    pub download_status: Option<ArmSyncSessionStatus>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ArmRecallError {
    #[serde(deserialize_with = "de_opt_i64")]
    pub error_code: Option<i64>,
    #[serde(deserialize_with = "de_opt_i64")]
    pub count: Option<i64>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ArmRecallStatus {
    pub recall_errors: Option<Vec<ArmRecallError>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ArmServerEndpointProperties {
    pub server_resource_id: Option<String>,
    pub server_local_path: Option<String>,
    pub server_name: Option<String>,
    pub friendly_name: Option<String>,
    pub sync_status: Option<ArmSyncStatus>,
    pub recall_status: Option<ArmRecallStatus>,
}

/// HRESULTs arrive as signed 32-bit values; tolerate unsigned ones too.
fn hresult(v: Option<i64>) -> Option<i32> {
    let v = v?;
    if (i32::MIN as i64..=u32::MAX as i64).contains(&v) {
        Some(v as u32 as i32)
    } else {
        None
    }
}

pub fn server_endpoint(v: &Value) -> Result<ServerEndpoint> {
    let r: ArmResource<ArmServerEndpointProperties> = parse("server endpoint", v)?;
    let id = resource_id("server endpoint", r.id)?;
    let p = r.properties.unwrap_or_default();
    let status = p.sync_status.unwrap_or_default();
    let mut per_item = Vec::new();
    for (direction, s) in [("upload", &status.upload_status), ("download", &status.download_status)] {
        if let Some(s) = s {
            for e in s.files_not_syncing_errors.iter().flatten() {
                if let Some(code) = hresult(e.error_code) {
                    let count = e.persistent_count.unwrap_or(0).max(0) + e.transient_count.unwrap_or(0).max(0);
                    per_item.push(ErrorCount {
                        error_code: code,
                        count: count as u64,
                        direction: Some(direction.into()),
                    });
                }
            }
        }
    }
    let recall = p
        .recall_status
        .and_then(|r| r.recall_errors)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|e| {
            Some(ErrorCount {
                error_code: hresult(e.error_code)?,
                count: e.count.unwrap_or(0).max(0) as u64,
                direction: Some("recall".into()),
            })
        })
        .collect();
    let last = |s: &Option<ArmSyncSessionStatus>| s.as_ref().and_then(|s| hresult(s.last_sync_result));
    let ts = status
        .upload_status
        .as_ref()
        .and_then(|s| s.last_sync_timestamp.clone())
        .or(status.download_status.as_ref().and_then(|s| s.last_sync_timestamp.clone()));
    Ok(ServerEndpoint {
        name: name_of(&id, r.name),
        id,
        friendly_name: clean(p.friendly_name),
        server_resource_id: clean(p.server_resource_id),
        server_local_path: clean(p.server_local_path),
        server_name: clean(p.server_name),
        upload_last_sync_result: last(&status.upload_status),
        download_last_sync_result: last(&status.download_status),
        last_sync_timestamp: clean(ts),
        files_not_syncing_errors: per_item,
        recall_errors: recall,
    })
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ArmIpRule {
    pub value: Option<String>,
}
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ArmVnetRule {
    pub id: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ArmNetworkAcls {
    pub bypass: Option<String>,
    pub default_action: Option<String>,
    pub ip_rules: Option<Vec<ArmIpRule>>,
    pub virtual_network_rules: Option<Vec<ArmVnetRule>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ArmConnectionState {
    pub status: Option<String>,
}
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ArmPecProperties {
    pub private_link_service_connection_state: Option<ArmConnectionState>,
}
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ArmPec {
    pub id: Option<String>,
    pub properties: Option<ArmPecProperties>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ArmStorageAccountProperties {
    pub network_acls: Option<ArmNetworkAcls>,
    #[serde(deserialize_with = "de_opt_bool")]
    pub allow_shared_key_access: Option<bool>,
    pub public_network_access: Option<String>,
    pub private_endpoint_connections: Option<Vec<ArmPec>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ArmStorageAccount {
    pub id: Option<String>,
    pub name: Option<String>,
    pub location: Option<String>,
    pub properties: Option<ArmStorageAccountProperties>,
}

pub fn storage_account(v: &Value) -> Result<StorageAccount> {
    let a: ArmStorageAccount = parse("storage account", v)?;
    let id = resource_id("storage account", a.id)?;
    let p = a.properties.unwrap_or_default();
    let network_acls = p.network_acls.map(|n| NetworkAcls {
        bypass: clean(n.bypass).unwrap_or_default(),
        default_action: clean(n.default_action).unwrap_or_else(|| "Allow".into()),
        ip_rules: n.ip_rules.unwrap_or_default().into_iter().filter_map(|r| clean(r.value)).collect(),
        virtual_network_rules: n
            .virtual_network_rules
            .unwrap_or_default()
            .into_iter()
            .filter_map(|r| clean(r.id))
            .collect(),
    });
    let pecs = private_endpoint_connections(p.private_endpoint_connections.unwrap_or_default());
    Ok(StorageAccount {
        name: name_of(&id, a.name),
        id,
        location: clean(a.location),
        read: true,
        network_acls,
        allow_shared_key_access: p.allow_shared_key_access,
        public_network_access: clean(p.public_network_access),
        private_endpoint_connections: pecs,
        shares: None,
        role_assignments_read: false,
        caller_permissions: None,
        smb_settings: None,
        network_security_perimeter_configurations: None,
    })
}

/// Private endpoint connections (storage accounts and Storage Sync Services share the shape).
fn private_endpoint_connections(list: Vec<ArmPec>) -> Vec<PrivateEndpointConnection> {
    list.into_iter()
        .map(|c| PrivateEndpointConnection {
            id: clean(c.id).unwrap_or_default(),
            status: c
                .properties
                .and_then(|p| p.private_link_service_connection_state)
                .and_then(|s| clean(s.status))
                .unwrap_or_default(),
        })
        .collect()
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ArmSmbSetting {
    pub versions: Option<String>,
    pub authentication_methods: Option<String>,
    pub kerberos_ticket_encryption: Option<String>,
    pub channel_encryption: Option<String>,
}
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ArmProtocolSettings {
    pub smb: Option<ArmSmbSetting>,
}
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ArmFileServiceProperties {
    pub protocol_settings: Option<ArmProtocolSettings>,
}

/// The SMB settings of a file service (FileServices_GetServiceProperties). Absent settings are Azure's
/// defaults, which allow every version, method and cipher.
pub fn smb_settings(v: &Value) -> Result<SmbSettings> {
    let f: ArmResource<ArmFileServiceProperties> = parse("file service", v)?;
    let smb = f.properties.and_then(|p| p.protocol_settings).and_then(|p| p.smb).unwrap_or_default();
    Ok(SmbSettings {
        versions: clean(smb.versions),
        authentication_methods: clean(smb.authentication_methods),
        kerberos_ticket_encryption: clean(smb.kerberos_ticket_encryption),
        channel_encryption: clean(smb.channel_encryption),
    })
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ArmNspSubscription {
    pub id: Option<String>,
}
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ArmNspRuleProperties {
    pub direction: Option<String>,
    pub address_prefixes: Option<Vec<String>>,
    pub subscriptions: Option<Vec<ArmNspSubscription>>,
}
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ArmNspRule {
    pub name: Option<String>,
    pub properties: Option<ArmNspRuleProperties>,
}
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ArmNspProfile {
    pub name: Option<String>,
    pub access_rules: Option<Vec<ArmNspRule>>,
}
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ArmNspPerimeter {
    pub id: Option<String>,
}
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ArmNspAssociation {
    pub access_mode: Option<String>,
}
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ArmNspConfigurationProperties {
    pub network_security_perimeter: Option<ArmNspPerimeter>,
    pub resource_association: Option<ArmNspAssociation>,
    pub profile: Option<ArmNspProfile>,
}

/// One network security perimeter configuration of a storage account.
pub fn nsp_configuration(v: &Value) -> Result<NspConfiguration> {
    let c: ArmResource<ArmNspConfigurationProperties> = parse("network security perimeter configuration", v)?;
    let p = c.properties.unwrap_or_default();
    let profile = p.profile.unwrap_or_default();
    Ok(NspConfiguration {
        id: clean(c.id).or(clean(c.name)).unwrap_or_default(),
        perimeter_id: p.network_security_perimeter.and_then(|n| clean(n.id)),
        access_mode: p.resource_association.and_then(|a| clean(a.access_mode)),
        profile: clean(profile.name),
        access_rules: profile
            .access_rules
            .unwrap_or_default()
            .into_iter()
            .map(|r| {
                let props = r.properties.unwrap_or_default();
                NspAccessRule {
                    name: clean(r.name).unwrap_or_default(),
                    direction: clean(props.direction),
                    address_prefixes: props
                        .address_prefixes
                        .unwrap_or_default()
                        .into_iter()
                        .filter_map(|a| clean(Some(a)))
                        .collect(),
                    subscriptions: props
                        .subscriptions
                        .unwrap_or_default()
                        .into_iter()
                        .filter_map(|s| clean(s.id))
                        .collect(),
                }
            })
            .collect(),
    })
}

/// A share's name from a share list item.
pub fn share_name(v: &Value) -> Option<String> {
    clean(v.get("name").and_then(Value::as_str).map(str::to_string))
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ArmRoleAssignmentProperties {
    pub role_definition_id: Option<String>,
    pub principal_id: Option<String>,
    pub principal_type: Option<String>,
    pub scope: Option<String>,
    pub condition: Option<String>,
    pub created_on: Option<String>,
}

pub fn role_assignment(v: &Value) -> Result<RoleAssignment> {
    let r: ArmResource<ArmRoleAssignmentProperties> = parse("role assignment", v)?;
    let id = clean(r.id).ok_or_else(|| Error::new(ErrorKind::Arm, "ARM sent a role assignment without an id"))?;
    let p = r.properties.unwrap_or_default();
    let scope_text = clean(p.scope).or_else(|| {
        // The scope is the id without `/providers/Microsoft.Authorization/roleAssignments/{name}`.
        let lower = id.to_ascii_lowercase();
        lower.rfind("/providers/microsoft.authorization/roleassignments/").map(|i| id[..i].to_string())
    });
    let scope_text = match scope_text {
        Some(s) if s.is_empty() => "/".to_string(),
        Some(s) => s,
        None => "/".to_string(),
    };
    let scope = ResourceId::parse(&scope_text).map_err(|e| {
        Error::new(ErrorKind::Arm, format!("ARM sent a role assignment with an unusable scope: {}", e.message()))
    })?;
    Ok(RoleAssignment {
        id: crate::model::text::Text::shared(&id),
        scope,
        role_definition_id: clean(p.role_definition_id).unwrap_or_default(),
        principal_id: clean(p.principal_id).unwrap_or_default().to_ascii_lowercase(),
        principal_type: clean(p.principal_type),
        condition: clean(p.condition),
        created_on: parse_time(p.created_on.as_deref()),
    })
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ArmPermission {
    pub actions: Option<Vec<String>>,
    pub not_actions: Option<Vec<String>>,
    pub data_actions: Option<Vec<String>>,
    pub not_data_actions: Option<Vec<String>>,
}

pub fn permission(v: &Value) -> Result<Permission> {
    let p: ArmPermission = parse("permission", v)?;
    Ok(Permission {
        actions: p.actions.unwrap_or_default(),
        not_actions: p.not_actions.unwrap_or_default(),
        data_actions: p.data_actions.unwrap_or_default(),
        not_data_actions: p.not_data_actions.unwrap_or_default(),
    })
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ArmDenyPrincipal {
    pub id: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ArmDenyAssignmentProperties {
    pub deny_assignment_name: Option<String>,
    pub scope: Option<String>,
    pub permissions: Option<Vec<ArmPermission>>,
    pub principals: Option<Vec<ArmDenyPrincipal>>,
    pub exclude_principals: Option<Vec<ArmDenyPrincipal>>,
}

pub fn deny_assignment(v: &Value) -> Result<DenyAssignment> {
    let r: ArmResource<ArmDenyAssignmentProperties> = parse("deny assignment", v)?;
    let id = clean(r.id).ok_or_else(|| Error::new(ErrorKind::Arm, "ARM sent a deny assignment without an id"))?;
    let p = r.properties.unwrap_or_default();
    let scope_text = clean(p.scope).unwrap_or_else(|| "/".into());
    let scope = ResourceId::parse(&scope_text).map_err(|e| {
        Error::new(ErrorKind::Arm, format!("ARM sent a deny assignment with an unusable scope: {}", e.message()))
    })?;
    let mut d = DenyAssignment {
        id,
        scope,
        name: clean(p.deny_assignment_name).or(clean(r.name)).unwrap_or_default(),
        actions: vec![],
        data_actions: vec![],
        not_actions: vec![],
        not_data_actions: vec![],
        principals: p.principals.unwrap_or_default().into_iter().filter_map(|x| clean(x.id)).collect(),
        exclude_principals: p.exclude_principals.unwrap_or_default().into_iter().filter_map(|x| clean(x.id)).collect(),
    };
    for perm in p.permissions.unwrap_or_default() {
        d.actions.extend(perm.actions.unwrap_or_default());
        d.data_actions.extend(perm.data_actions.unwrap_or_default());
        d.not_actions.extend(perm.not_actions.unwrap_or_default());
        d.not_data_actions.extend(perm.not_data_actions.unwrap_or_default());
    }
    Ok(d)
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ArmLockProperties {
    pub level: Option<String>,
}

pub fn lock(v: &Value) -> Result<ManagementLock> {
    let r: ArmResource<ArmLockProperties> = parse("lock", v)?;
    let id = clean(r.id).ok_or_else(|| Error::new(ErrorKind::Arm, "ARM sent a lock without an id"))?;
    let lower = id.to_ascii_lowercase();
    let scope_text = lower
        .rfind("/providers/microsoft.authorization/locks/")
        .map(|i| id[..i].to_string())
        .unwrap_or_else(|| "/".into());
    let scope = ResourceId::parse(if scope_text.is_empty() { "/" } else { &scope_text })
        .map_err(|e| Error::new(ErrorKind::Arm, format!("ARM sent a lock with an unusable id: {}", e.message())))?;
    Ok(ManagementLock { id, scope, level: r.properties.and_then(|p| clean(p.level)).unwrap_or_default() })
}
