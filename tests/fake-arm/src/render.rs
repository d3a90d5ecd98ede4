//! ARM JSON shapes, after the Azure REST API spec examples and recorded traffic.

use serde_json::{json, Map, Value};

use crate::authz::RoleDef;
use crate::state::{deny_id, seed_time, Assignment, Service, State};
use crate::topology::*;
use crate::util::{is_zero_guid, normalize_scope, segments, ZERO_GUID};

/// Microsoft.StorageSync 2022-06-01 predates managed identities: no `identity`, `useIdentity`,
/// `activeAuthType`, `applicationId`, `latestApplicationId` or server `identity`.
pub(crate) fn api_has_identity(api: &str) -> bool {
    api != "2022-06-01"
}

fn ts(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

fn v5(text: &str) -> String {
    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, text.to_ascii_lowercase().as_bytes()).to_string()
}

fn location_key(location: &str) -> String {
    location.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_lowercase()
}

pub(crate) fn lro_location(location: &str) -> String {
    location_key(location)
}

fn system_data(modified_at: chrono::DateTime<chrono::Utc>, modified_by: Option<&str>) -> Value {
    json!({
        "createdBy": "fake-arm-seed@contoso.com",
        "createdByType": "User",
        "createdAt": ts(seed_time()),
        "lastModifiedBy": modified_by.unwrap_or("fake-arm-seed@contoso.com"),
        "lastModifiedByType": if modified_by.is_some() { "Application" } else { "User" },
        "lastModifiedAt": ts(modified_at),
    })
}

pub(crate) fn service_uid(s: &ServiceSeed) -> String {
    v5(&format!("uid:{}", s.id()))
}

pub(crate) fn render_service(st: &State, svc: &Service, api: &str) -> Value {
    let s = &svc.seed;
    let mut props = Map::new();
    props.insert("storageSyncServiceStatus".into(), json!(0));
    props.insert("storageSyncServiceUid".into(), json!(service_uid(s)));
    props.insert(
        "incomingTrafficPolicy".into(),
        json!(s.incoming_traffic_policy.clone().unwrap_or_else(|| "AllowAllTraffic".into())),
    );
    props.insert(
        "privateEndpointConnections".into(),
        json!(s.private_endpoint_connections.iter().map(|p| render_service_pec(s, p)).collect::<Vec<_>>()),
    );
    props.insert("provisioningState".into(), json!("Succeeded"));
    if api_has_identity(api) {
        props.insert("useIdentity".into(), json!(s.use_identity));
    }
    props.insert(
        "lastWorkflowId".into(),
        json!(format!("storageSyncServices/{}/workflows/{}", s.name, v5(&format!("wf:{}", s.id())))),
    );
    props.insert("lastOperationName".into(), json!("ICreateStorageSyncServiceWorkflow2"));
    let mut v = json!({
        "properties": Value::Object(props),
        "location": s.location,
        "tags": {},
        "id": s.id(),
        "name": s.name,
        "type": "Microsoft.StorageSync/storageSyncServices",
        "systemData": system_data(s.last_modified_at.unwrap_or_else(seed_time), svc.last_modified_by.as_deref()),
    });
    if api_has_identity(api) {
        if let Some(id) = &s.identity {
            if !id.kind.eq_ignore_ascii_case("None") {
                v["identity"] = json!({
                    "type": id.kind,
                    "tenantId": id.tenant_id.clone().unwrap_or_else(|| st.tenant.clone()),
                    "principalId": id.principal_id.clone().unwrap_or_else(|| ZERO_GUID.into()),
                    "userAssignedIdentities": {},
                });
            }
        }
    }
    v
}

/// A service's private endpoint connection, as StorageSyncServices_Get shows it.
pub(crate) fn render_service_pec(
    s: &crate::topology::ServiceSeed,
    p: &crate::topology::PrivateEndpointConnectionSeed,
) -> Value {
    json!({
        "id": format!("{}/privateEndpointConnections/{}", s.id(), p.name),
        "name": p.name,
        "type": "Microsoft.StorageSync/storageSyncServices/privateEndpointConnections",
        "properties": {
            "provisioningState": "Succeeded",
            "privateEndpoint": {"id": format!("/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network/privateEndpoints/{}", s.subscription_id, s.resource_group, p.name)},
            "privateLinkServiceConnectionState": {"status": p.status, "description": "", "actionsRequired": "None"},
        }
    })
}

/// A storage account's file service (FileServices_GetServiceProperties).
pub(crate) fn render_file_service(a: &StorageAccountSeed) -> Value {
    let mut props = Map::new();
    props.insert("cors".into(), json!({"corsRules": []}));
    props.insert("shareDeleteRetentionPolicy".into(), json!({"enabled": true, "days": 7}));
    if let Some(smb) = &a.smb {
        let mut m = Map::new();
        for (k, v) in [
            ("versions", &smb.versions),
            ("authenticationMethods", &smb.authentication_methods),
            ("kerberosTicketEncryption", &smb.kerberos_ticket_encryption),
            ("channelEncryption", &smb.channel_encryption),
        ] {
            if let Some(v) = v {
                m.insert(k.into(), json!(v));
            }
        }
        m.insert("multichannel".into(), json!({"enabled": false}));
        props.insert("protocolSettings".into(), json!({"smb": Value::Object(m)}));
    }
    json!({
        "id": format!("{}/fileServices/default", a.id()),
        "name": "default",
        "type": "Microsoft.Storage/storageAccounts/fileServices",
        "properties": Value::Object(props),
        "sku": {"name": "Standard_LRS", "tier": "Standard"},
    })
}

/// One network security perimeter configuration of a storage account (NetworkSecurityPerimeterConfigurations_List).
pub(crate) fn render_nsp_configuration(a: &StorageAccountSeed, c: &crate::topology::NspConfigurationSeed) -> Value {
    let perimeter_guid = v5(&format!("nsp:{}", c.perimeter_id.to_ascii_lowercase()));
    let name = format!("{perimeter_guid}.{}", nsp_association_name(a, c));
    json!({
        "id": format!("{}/networkSecurityPerimeterConfigurations/{name}", a.id()),
        "name": name,
        "type": "Microsoft.Storage/storageAccounts/networkSecurityPerimeterConfigurations",
        "properties": {
            "provisioningState": "Succeeded",
            "networkSecurityPerimeter": {"id": c.perimeter_id, "perimeterGuid": perimeter_guid, "location": a.location},
            "resourceAssociation": {"name": nsp_association_name(a, c), "accessMode": c.access_mode},
            "profile": {
                "name": c.profile,
                "accessRulesVersion": 1,
                "accessRules": c.access_rules.iter().map(|r| {
                    let mut p = Map::new();
                    p.insert("direction".into(), json!(r.direction));
                    if !r.address_prefixes.is_empty() {
                        p.insert("addressPrefixes".into(), json!(r.address_prefixes));
                    }
                    if !r.subscriptions.is_empty() {
                        p.insert("subscriptions".into(), json!(r.subscriptions.iter().map(|s| json!({"id": format!("/subscriptions/{s}")})).collect::<Vec<_>>()));
                    }
                    json!({"name": r.name, "properties": Value::Object(p)})
                }).collect::<Vec<_>>(),
                "diagnosticSettingsVersion": 1,
                "enabledLogCategories": [],
            }
        }
    })
}

/// The association's name: the storage account's, as the portal names it.
pub(crate) fn nsp_association_name(a: &StorageAccountSeed, _c: &crate::topology::NspConfigurationSeed) -> String {
    format!("{}-association", a.name.to_ascii_lowercase())
}

fn guid_or_zero(g: &Option<String>) -> String {
    g.clone().filter(|x| !x.is_empty()).unwrap_or_else(|| ZERO_GUID.to_string())
}

pub(crate) fn server_id_path(s: &ServiceSeed, server_id: &str) -> String {
    format!("{}/registeredServers/{}", s.id(), server_id)
}

pub(crate) fn render_server(svc: &Service, r: &RegisteredServerSeed, api: &str) -> Value {
    let s = &svc.seed;
    let loc = location_key(&s.location);
    let mgmt = format!("https://{}management.{loc}.afs.azure.net:443/", s.name.to_ascii_lowercase());
    let mut p = Map::new();
    p.insert("agentVersion".into(), json!(r.agent_version));
    p.insert("agentVersionStatus".into(), json!(r.agent_version_status));
    if let Some(d) = &r.agent_version_expiration_date {
        p.insert("agentVersionExpirationDate".into(), json!(d));
    }
    p.insert("serverOSVersion".into(), json!(r.server_os_version.clone().unwrap_or_else(|| "10.0.20348.0".into())));
    p.insert("serverManagementErrorCode".into(), json!(0));
    p.insert("lastHeartBeat".into(), json!(r.last_heart_beat.clone().unwrap_or_else(|| ts(seed_time()))));
    p.insert("provisioningState".into(), json!("Succeeded"));
    p.insert("serverRole".into(), json!(r.server_role));
    p.insert("clusterId".into(), json!(guid_or_zero(&r.cluster_id)));
    p.insert("clusterName".into(), json!(r.cluster_name.clone().unwrap_or_default()));
    p.insert("serverId".into(), json!(r.server_id));
    p.insert("storageSyncServiceUid".into(), json!(service_uid(s)));
    p.insert(
        "lastWorkflowId".into(),
        json!(format!("storageSyncServices/{}/workflows/{}", s.name, v5(&format!("wf:{}", r.server_id)))),
    );
    p.insert("lastOperationName".into(), json!("ICreateRegisteredServerWorkflow"));
    p.insert("friendlyName".into(), json!(r.friendly_name.clone().unwrap_or_else(|| r.server_name.clone())));
    p.insert("serverName".into(), json!(r.server_name));
    p.insert("managementEndpointUri".into(), json!(mgmt));
    p.insert("discoveryEndpointUri".into(), json!(mgmt));
    p.insert(
        "monitoringEndpointUri".into(),
        json!(format!("https://{}monitoring.{loc}.afs.azure.net:443/", s.name.to_ascii_lowercase())),
    );
    p.insert("resourceLocation".into(), json!(loc));
    p.insert("serviceLocation".into(), json!(loc));
    if api_has_identity(api) {
        let uses_mi = r.active_auth_type.eq_ignore_ascii_case("ManagedIdentity");
        p.insert("activeAuthType".into(), json!(r.active_auth_type));
        p.insert("applicationId".into(), json!(guid_or_zero(&r.application_id)));
        p.insert("identity".into(), json!(r.identity.unwrap_or(uses_mi)));
        p.insert("latestApplicationId".into(), json!(guid_or_zero(&r.latest_application_id)));
    }
    json!({
        "properties": Value::Object(p),
        "id": server_id_path(s, &r.server_id),
        "name": r.server_id,
        "type": "Microsoft.StorageSync/storageSyncServices/registeredServers",
        "systemData": system_data(seed_time(), None),
    })
}

pub(crate) fn render_sync_group(s: &ServiceSeed, g: &SyncGroupSeed) -> Value {
    json!({
        "name": g.name,
        "type": "Microsoft.StorageSync/storageSyncServices/syncGroups",
        "id": format!("{}/syncGroups/{}", s.id(), g.name),
        "properties": {"syncGroupStatus": "0", "uniqueId": v5(&format!("sg:{}/{}", s.id(), g.name))},
    })
}

pub(crate) fn render_cloud_endpoint(st: &State, s: &ServiceSeed, g: &SyncGroupSeed, c: &CloudEndpointSeed) -> Value {
    let when = ts(seed_time());
    json!({
        "name": c.name,
        "type": "Microsoft.StorageSync/storageSyncServices/syncGroups/cloudEndpoints",
        "id": format!("{}/syncGroups/{}/cloudEndpoints/{}", s.id(), g.name, c.name),
        "properties": {
            "storageAccountResourceId": c.storage_account_resource_id,
            "azureFileShareName": c.azure_file_share_name,
            "storageAccountTenantId": c.storage_account_tenant_id.clone().unwrap_or_else(|| st.tenant.clone()),
            "partnershipId": format!("1|{}", v5(&format!("p:{}/{}", g.name, c.name))),
            "friendlyName": c.friendly_name.clone().unwrap_or_else(|| c.azure_file_share_name.clone()),
            "backupEnabled": "false",
            "provisioningState": "Succeeded",
            "lastWorkflowId": format!("storageSyncServices/{}/workflows/{}", s.name, v5(&format!("wf:{}", c.name))),
            "lastOperationName": "ICreateCloudEndpointWorkflow",
            "changeEnumerationStatus": {
                "lastUpdatedTimestamp": when,
                "lastEnumerationStatus": {
                    "startedTimestamp": when, "completedTimestamp": when, "namespaceFilesCount": 0,
                    "namespaceDirectoriesCount": 0, "namespaceSizeBytes": 0, "nextRunTimestamp": when
                },
                "activity": {
                    "lastUpdatedTimestamp": when, "operationState": "EnumerationInProgress", "statusCode": 0,
                    "startedTimestamp": when, "processedFilesCount": 0, "processedDirectoriesCount": 0,
                    "totalFilesCount": 0, "totalDirectoriesCount": 0, "totalSizeBytes": 0, "progressPercent": 100,
                    "minutesRemaining": 0, "totalCountsState": "Final", "deletesProgressPercent": 100
                }
            }
        }
    })
}

fn direction_status(e: &ServerEndpointSeed, direction: &str, result: i32) -> Value {
    let errors: Vec<&FilesNotSyncingSeed> =
        e.files_not_syncing_errors.iter().filter(|f| f.direction.eq_ignore_ascii_case(direction)).collect();
    let persistent: u64 = errors.iter().map(|f| f.persistent_count).sum();
    let transient: u64 = errors.iter().map(|f| f.transient_count).sum();
    let when = ts(seed_time());
    json!({
        "lastSyncResult": result,
        "lastSyncTimestamp": when,
        "lastSyncSuccessTimestamp": if result == 0 { json!(when) } else { Value::Null },
        "lastSyncPerItemErrorCount": persistent + transient,
        "persistentFilesNotSyncingCount": persistent,
        "transientFilesNotSyncingCount": transient,
        "filesNotSyncingErrors": errors.iter().map(|f| json!({
            "errorCode": f.error_code, "persistentCount": f.persistent_count, "transientCount": f.transient_count
        })).collect::<Vec<_>>(),
    })
}

pub(crate) fn render_server_endpoint(s: &ServiceSeed, g: &SyncGroupSeed, e: &ServerEndpointSeed) -> Value {
    let server = s.registered_servers.iter().find(|r| r.server_id.eq_ignore_ascii_case(&e.server_id));
    let server_name = server.map(|r| r.server_name.clone()).unwrap_or_default();
    let server_id = server.map(|r| r.server_id.clone()).unwrap_or_else(|| e.server_id.clone());
    let when = ts(seed_time());
    let health = |r: i32| if r == 0 { "Healthy" } else { "Error" };
    let upload = direction_status(e, "upload", e.upload_last_sync_result);
    let download = direction_status(e, "download", e.download_last_sync_result);
    let total_persistent = upload["persistentFilesNotSyncingCount"].as_u64().unwrap_or(0)
        + download["persistentFilesNotSyncingCount"].as_u64().unwrap_or(0);
    let combined = if e.upload_last_sync_result == 0 && e.download_last_sync_result == 0 { "Healthy" } else { "Error" };
    let recall_total: u64 = e.recall_errors.iter().map(|r| r.count).sum();
    let activity = |n: u64| json!({"timestamp": when, "perItemErrorCount": n, "appliedItemCount": 0, "totalItemCount": 0, "appliedBytes": 0, "totalBytes": 0});
    let step = |name: &str| json!({"name": name, "status": "Completed", "startTime": when, "minutesLeft": 0, "progressPercentage": 100, "endTime": when, "errorCode": 0, "additionalInformation": {"ItemsProcessed": "0", "ItemsRemaining": "0"}});
    json!({
        "name": e.name,
        "type": "Microsoft.StorageSync/storageSyncServices/syncGroups/serverEndpoints",
        "id": format!("{}/syncGroups/{}/serverEndpoints/{}", s.id(), g.name, e.name),
        "properties": {
            "serverLocalPath": e.server_local_path,
            "serverResourceId": server_id_path(s, &server_id),
            "serverName": server_name,
            "friendlyName": e.friendly_name.clone().unwrap_or_else(|| server_name.clone()),
            "provisioningState": "Succeeded",
            "lastWorkflowId": format!("storageSyncServices/{}/workflows/{}", s.name, v5(&format!("wf:{}", e.name))),
            "lastOperationName": "ICreateServerEndpointWorkflow",
            "cloudTiering": "off",
            "volumeFreeSpacePercent": 20,
            "tierFilesOlderThanDays": 0,
            "offlineDataTransfer": "off",
            "offlineDataTransferStorageAccountResourceId": Value::Null,
            "offlineDataTransferStorageAccountTenantId": Value::Null,
            "offlineDataTransferShareName": Value::Null,
            "initialDownloadPolicy": "NamespaceThenModifiedFiles",
            "initialUploadPolicy": "Merge",
            "localCacheMode": "UpdateLocallyCachedFiles",
            "syncStatus": {
                "downloadHealth": health(e.download_last_sync_result),
                "uploadHealth": health(e.upload_last_sync_result),
                "combinedHealth": combined,
                "syncActivity": "UploadAndDownload",
                "totalPersistentFilesNotSyncingCount": total_persistent,
                "lastUpdatedTimestamp": when,
                "uploadStatus": upload,
                "downloadStatus": download,
                "uploadActivity": activity(0),
                "downloadActivity": activity(0),
                "offlineDataTransferStatus": "NotRunning",
            },
            "cloudTieringStatus": {
                "lastUpdatedTimestamp": when, "health": "Healthy", "healthLastUpdatedTimestamp": when,
                "lastCloudTieringResult": 0, "lastSuccessTimestamp": when,
                "spaceSavings": {"lastUpdatedTimestamp": when, "volumeSizeBytes": 0, "totalSizeCloudBytes": 0, "cachedSizeBytes": 0, "spaceSavingsPercent": 0, "spaceSavingsBytes": 0},
                "cachePerformance": {"lastUpdatedTimestamp": when, "cacheHitBytes": 0, "cacheMissBytes": 0, "cacheHitBytesPercent": 0},
                "filesNotTiering": {"lastUpdatedTimestamp": when, "totalFileCount": 0, "errors": []},
                "volumeFreeSpacePolicyStatus": {"lastUpdatedTimestamp": when, "effectiveVolumeFreeSpacePolicy": 20, "currentVolumeFreeSpacePercent": 50},
                "datePolicyStatus": {"lastUpdatedTimestamp": when, "tieredFilesMostRecentAccessTimestamp": when},
                "lowDiskMode": {"lastUpdatedTimestamp": when, "state": "Disabled"},
            },
            "recallStatus": {
                "lastUpdatedTimestamp": when,
                "totalRecallErrorsCount": recall_total,
                "recallErrors": e.recall_errors.iter().map(|r| json!({"errorCode": r.error_code, "count": r.count})).collect::<Vec<_>>(),
            },
            "serverEndpointProvisioningStatus": {
                "provisioningStatus": "Ready_SyncFunctional",
                "provisioningType": "Regular",
                "provisioningStepStatuses": [step("ManifestGeneration"), step("ManifestConsumption"), step("NamespaceApply"), step("PrepareForSync")],
            },
        }
    })
}

pub(crate) fn render_account(a: &StorageAccountSeed) -> Value {
    let id = a.id();
    let n = a.name.to_ascii_lowercase();
    let created = ts(seed_time());
    let endpoint = |svc: &str| format!("https://{n}.{svc}.core.windows.net/");
    let mut props = Map::new();
    props.insert("keyCreationTime".into(), json!({"key1": created, "key2": created}));
    props.insert(
        "privateEndpointConnections".into(),
        json!(a
            .private_endpoint_connections
            .iter()
            .map(|p| json!({
                "id": format!("{id}/privateEndpointConnections/{}", p.name),
                "name": p.name,
                "type": "Microsoft.Storage/storageAccounts/privateEndpointConnections",
                "properties": {
                    "provisioningState": "Succeeded",
                    "privateEndpoint": {"id": format!("/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network/privateEndpoints/{}", a.subscription_id, a.resource_group, p.name)},
                    "privateLinkServiceConnectionState": {"status": p.status, "description": "", "actionRequired": "None"},
                }
            }))
            .collect::<Vec<_>>()),
    );
    props.insert(
        "networkAcls".into(),
        json!({
            "bypass": a.network_acls.bypass,
            "defaultAction": a.network_acls.default_action,
            "ipRules": a.network_acls.ip_rules.iter().map(|r| json!({"value": r.value, "action": r.action.clone().unwrap_or_else(|| "Allow".into())})).collect::<Vec<_>>(),
            "virtualNetworkRules": a.network_acls.virtual_network_rules.iter().map(|r| json!({
                "id": r.id, "action": r.action.clone().unwrap_or_else(|| "Allow".into()), "state": r.state.clone().unwrap_or_else(|| "Succeeded".into())
            })).collect::<Vec<_>>(),
            "resourceAccessRules": a.network_acls.resource_access_rules.iter().map(|r| json!({"tenantId": r.tenant_id, "resourceId": r.resource_id})).collect::<Vec<_>>(),
        }),
    );
    if let Some(v) = a.allow_shared_key_access {
        props.insert("allowSharedKeyAccess".into(), json!(v));
    }
    if let Some(v) = &a.public_network_access {
        props.insert("publicNetworkAccess".into(), json!(v));
    }
    props.insert("minimumTlsVersion".into(), json!("TLS1_2"));
    props.insert("allowBlobPublicAccess".into(), json!(false));
    props.insert("supportsHttpsTrafficOnly".into(), json!(true));
    props.insert("isHnsEnabled".into(), json!(false));
    props.insert("accountMigrationInProgress".into(), json!(false));
    props.insert("isSkuConversionBlocked".into(), json!(false));
    props.insert(
        "encryption".into(),
        json!({
            "keySource": "Microsoft.Storage",
            "services": {
                "file": {"keyType": "Account", "enabled": true, "lastEnabledTime": created},
                "blob": {"keyType": "Account", "enabled": true, "lastEnabledTime": created},
            },
        }),
    );
    props.insert("accessTier".into(), json!("Hot"));
    props.insert("provisioningState".into(), json!("Succeeded"));
    props.insert("creationTime".into(), json!(created));
    props.insert(
        "primaryEndpoints".into(),
        json!({"dfs": endpoint("dfs"), "web": endpoint("web"), "blob": endpoint("blob"), "queue": endpoint("queue"), "table": endpoint("table"), "file": endpoint("file")}),
    );
    props.insert("primaryLocation".into(), json!(a.location));
    props.insert("statusOfPrimary".into(), json!("available"));
    json!({
        "sku": {"name": "Standard_LRS", "tier": "Standard"},
        "kind": a.kind.clone().unwrap_or_else(|| "StorageV2".into()),
        "id": id,
        "name": a.name,
        "type": "Microsoft.Storage/storageAccounts",
        "location": a.location,
        "tags": {},
        "properties": Value::Object(props),
    })
}

pub(crate) fn render_share(a: &StorageAccountSeed, share: &str) -> Value {
    let tag = &v5(&format!("share:{}/{share}", a.id())).replace('-', "")[..15];
    json!({
        "id": format!("{}/fileServices/default/shares/{share}", a.id()),
        "name": share,
        "type": "Microsoft.Storage/storageAccounts/fileServices/shares",
        "etag": format!("\"0x{}\"", tag.to_ascii_uppercase()),
        "properties": {
            "lastModifiedTime": ts(seed_time()),
            "shareQuota": 5120,
            "accessTier": "TransactionOptimized",
            "enabledProtocols": "SMB",
        }
    })
}

/// The subscription a scope lies in, if any.
pub(crate) fn scope_subscription(scope: &str) -> Option<String> {
    let segs = segments(scope);
    if segs.len() >= 2 && segs[0].eq_ignore_ascii_case("subscriptions") {
        Some(segs[1].clone())
    } else {
        None
    }
}

/// A role definition id as ARM shows it for an assignment at `scope`.
pub(crate) fn role_definition_id_for(scope: &str, role: &str) -> String {
    if role.contains('/') {
        return role.to_string();
    }
    match scope_subscription(scope) {
        Some(sub) => format!(
            "/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{}",
            role.to_ascii_lowercase()
        ),
        None => format!("/providers/Microsoft.Authorization/roleDefinitions/{}", role.to_ascii_lowercase()),
    }
}

fn extension_id(scope: &str, kind: &str, name: &str) -> String {
    let scope = normalize_scope(scope);
    let prefix = if scope == "/" { String::new() } else { scope };
    format!("{prefix}/providers/Microsoft.Authorization/{kind}/{name}")
}

pub(crate) fn render_assignment(a: &Assignment) -> Value {
    let s = &a.seed;
    json!({
        "properties": {
            "roleDefinitionId": role_definition_id_for(&s.scope, &s.role_definition_id),
            "principalId": s.principal_id,
            "principalType": s.principal_type,
            "scope": s.scope,
            "condition": s.condition,
            "conditionVersion": s.condition_version,
            "createdOn": ts(a.created_on),
            "updatedOn": ts(a.updated_on),
            "createdBy": a.created_by,
            "updatedBy": a.created_by,
            "delegatedManagedIdentityResourceId": Value::Null,
            "description": s.description,
        },
        "id": extension_id(&s.scope, "roleAssignments", &s.name),
        "type": "Microsoft.Authorization/roleAssignments",
        "name": s.name,
    })
}

pub(crate) fn render_role_definition(role: &RoleDef, scope: &str) -> Value {
    let id = match scope_subscription(scope) {
        Some(sub) => format!("/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{}", role.guid),
        None => format!("/providers/Microsoft.Authorization/roleDefinitions/{}", role.guid),
    };
    json!({
        "properties": {
            "roleName": role.name,
            "type": if role.builtin { "BuiltInRole" } else { "CustomRole" },
            "description": role.description,
            "assignableScopes": ["/"],
            "permissions": role.permissions.iter().map(|p| {
                let mut v = json!({"actions": p.actions, "notActions": p.not_actions, "dataActions": p.data_actions, "notDataActions": p.not_data_actions});
                if let Some(c) = p.condition() {
                    v["condition"] = json!(c);
                    v["conditionVersion"] = json!("2.0");
                }
                v
            }).collect::<Vec<_>>(),
            "createdOn": ts(seed_time()),
            "updatedOn": ts(seed_time()),
            "createdBy": Value::Null,
            "updatedBy": Value::Null,
        },
        "id": id,
        "type": "Microsoft.Authorization/roleDefinitions",
        "name": role.guid,
    })
}

pub(crate) fn render_deny(d: &DenyAssignmentSeed) -> Value {
    let principal =
        |p: &String| json!({"id": p, "type": if is_zero_guid(p) { "SystemDefined" } else { "ServicePrincipal" }});
    json!({
        "properties": {
            "denyAssignmentName": d.name,
            "description": d.description.clone().unwrap_or_default(),
            "permissions": [{"actions": d.actions, "notActions": d.not_actions, "dataActions": d.data_actions, "notDataActions": d.not_data_actions}],
            "scope": normalize_scope(&d.scope),
            "doNotApplyToChildScopes": d.do_not_apply_to_child_scopes,
            "principals": d.principals.iter().map(principal).collect::<Vec<_>>(),
            "excludePrincipals": d.exclude_principals.iter().map(principal).collect::<Vec<_>>(),
            "isSystemProtected": true,
        },
        "id": deny_id(d),
        "type": "Microsoft.Authorization/denyAssignments",
        "name": d.name,
    })
}

pub(crate) fn render_lock(l: &LockSeed) -> Value {
    json!({
        "properties": {"level": l.level, "notes": l.notes.clone().unwrap_or_default()},
        "id": extension_id(&l.scope, "locks", &l.name),
        "type": "Microsoft.Authorization/locks",
        "name": l.name,
    })
}

pub(crate) fn render_sp(sp: &ServicePrincipalSeed) -> Value {
    json!({
        "id": sp.id,
        "appId": sp.app_id,
        "displayName": sp.display_name,
        "servicePrincipalType": sp.service_principal_type.as_deref().unwrap_or("Application"),
        "accountEnabled": true,
        "alternativeNames": sp.alternative_names,
    })
}

/// A machine as Machines_Get (Microsoft.HybridCompute) or VirtualMachines_Get (Microsoft.Compute) shows it:
/// `identity` only when it has a system-assigned one.
pub(crate) fn render_machine(m: &MachineSeed, tenant: &str) -> Value {
    let vm_id = format!("{:032x}", crate::util::fnv64(&m.id().to_ascii_lowercase()) as u128 * 0x1_0000_0001);
    let vm_id =
        format!("{}-{}-4{}-8{}-{}", &vm_id[0..8], &vm_id[8..12], &vm_id[13..16], &vm_id[17..20], &vm_id[20..32]);
    let mut v = match m.kind {
        MachineKindSeed::Arc => json!({
            "id": m.id(),
            "name": m.name,
            "type": "Microsoft.HybridCompute/machines",
            "location": m.location,
            "properties": {
                "provisioningState": "Succeeded",
                "status": m.status.as_deref().unwrap_or("Connected"),
                "vmId": vm_id,
                "agentVersion": "1.45.02804.1883",
                "osName": "windows",
                "osType": "windows",
            }
        }),
        MachineKindSeed::Vm => json!({
            "id": m.id(),
            "name": m.name,
            "type": "Microsoft.Compute/virtualMachines",
            "location": m.location,
            "properties": {
                "vmId": vm_id,
                "provisioningState": "Succeeded",
                "hardwareProfile": {"vmSize": "Standard_D2s_v5"},
            }
        }),
    };
    if let Some(p) = &m.principal_id {
        v["identity"] = json!({"type": "SystemAssigned", "principalId": p, "tenantId": tenant});
    }
    v
}

/// One Activity Log event, shaped like the ActivityLogs_List examples (api-version 2015-04-01): bodies
/// recorded as JSON text in `properties.requestbody` / `properties.responseBody`.
pub(crate) fn render_activity_event(e: &ActivityEventSeed, tenant: &str) -> Value {
    let segs = crate::util::segments(&e.resource_id);
    let at = |i: usize| segs.get(i).cloned().unwrap_or_default();
    let provider = e.operation_name.split('/').next().unwrap_or("").to_string();
    let resource_type = e.operation_name.rsplit_once('/').map(|(t, _)| t.to_string()).unwrap_or_default();
    // The event's id: stable for one event (its time, resource and operation), like ARM's eventDataId.
    let event_id = uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_URL,
        format!("{}|{}|{}|{}", e.event_timestamp.to_rfc3339(), e.resource_id, e.operation_name, e.status).as_bytes(),
    )
    .to_string();
    let ticks = (e.event_timestamp.timestamp_micros() + 62_135_596_800_000_000) * 10;
    let correlation = e.correlation_id.clone().unwrap_or_else(|| event_id.clone());
    let mut properties = serde_json::Map::new();
    if let Some(s) = &e.sub_status {
        properties.insert("statusCode".into(), json!(s));
    }
    if let Some(b) = &e.request_body {
        properties.insert("requestbody".into(), json!(b.to_string()));
    }
    if let Some(b) = &e.response_body {
        properties.insert("responseBody".into(), json!(b.to_string()));
    }
    let localized = |v: &str| json!({"value": v, "localizedValue": v});
    json!({
        "authorization": {"action": e.operation_name, "scope": e.resource_id},
        "caller": e.caller,
        "channels": "Operation",
        "claims": {},
        "correlationId": correlation,
        "description": "",
        "eventDataId": event_id,
        "eventName": {"value": if e.status == "Started" || e.status == "Accepted" { "BeginRequest" } else { "EndRequest" },
                      "localizedValue": if e.status == "Started" || e.status == "Accepted" { "Begin request" } else { "End request" }},
        "category": localized("Administrative"),
        "httpRequest": {"clientRequestId": correlation, "clientIpAddress": "127.0.0.1", "method": e.http_method.clone().unwrap_or_else(|| "PUT".into())},
        "id": format!("{}/events/{event_id}/ticks/{ticks}", e.resource_id),
        "level": if e.status == "Failed" { "Error" } else { "Informational" },
        "resourceGroupName": if at(2).eq_ignore_ascii_case("resourceGroups") { at(3) } else { String::new() },
        "resourceProviderName": localized(&provider),
        "resourceType": localized(&resource_type),
        "resourceId": e.resource_id,
        "operationId": correlation,
        "operationName": localized(&e.operation_name),
        "properties": properties,
        "status": localized(&e.status),
        "subStatus": localized(e.sub_status.as_deref().unwrap_or("")),
        "eventTimestamp": e.event_timestamp.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        "submissionTimestamp": (e.event_timestamp + chrono::Duration::seconds(10)).to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        "subscriptionId": if at(0).eq_ignore_ascii_case("subscriptions") { at(1) } else { String::new() },
        "tenantId": tenant,
    })
}
