//! Every check's id, declared once. The registry (`super::CHECKS`) describes each of them; a test holds
//! the two to each other (every id registered, once, in this order).

use crate::model::check_id::CheckId;

macro_rules! declare_check_ids {
    ($($name:ident = $id:literal,)*) => {
        impl CheckId {
            $(pub const $name: CheckId = CheckId::declare($id);)*
            /// Every check id, in report order.
            pub const ALL: &'static [CheckId] = &[$(CheckId::$name,)*];
        }
    };
}

declare_check_ids! {
    COLLECTION_READ = "collection.read",
    SERVICE_IDENTITY = "service.identity",
    SERVICE_USE_IDENTITY = "service.use-identity",
    SERVICE_PRIVATE_ENDPOINT = "service.private-endpoint",
    IDENTITY_TENANT = "identity.tenant",
    SERVER_IDENTITY = "server.identity",
    SERVER_AUTH_MODE = "server.auth-mode",
    SERVER_IDENTITY_DRIFT = "server.identity-drift",
    SERVER_MACHINE_IDENTITY = "server.machine-identity",
    SERVER_ARC_CONNECTION = "server.arc-connection",
    SERVER_AGENT_VERSION = "server.agent-version",
    SERVER_AGENT_STATUS = "server.agent-status",
    SERVER_HEARTBEAT = "server.heartbeat",
    CLOUD_ENDPOINT_SHARE_EXISTS = "cloud-endpoint.share-exists",
    CLOUD_ENDPOINT_SERVICE_ACCOUNT_ROLE = "cloud-endpoint.service-account-role",
    CLOUD_ENDPOINT_SERVICE_SHARE_ROLE = "cloud-endpoint.service-share-role",
    SERVER_ENDPOINT_SERVER_SHARE_ROLE = "server-endpoint.server-share-role",
    ROLE_WRONG_SHARE_SCOPE = "role.wrong-share-scope",
    ROLE_DENY_ASSIGNMENT = "role.deny-assignment",
    STORAGE_TRUSTED_SERVICES = "storage.trusted-services",
    STORAGE_NETWORK_ACCESS = "storage.network-access",
    STORAGE_SMB_SETTINGS = "storage.smb-settings",
    STORAGE_NETWORK_PERIMETER = "storage.network-perimeter",
    STORAGE_SHARED_KEY_ACCESS = "storage.shared-key-access",
    STORAGE_LOCK = "storage.lock",
    STORAGE_LEGACY_SYNC_PRINCIPAL = "storage.legacy-sync-principal",
    CALLER_CAN_REPAIR = "caller.can-repair",
    SYNC_LIVE_ERRORS = "sync.live-errors",
}
