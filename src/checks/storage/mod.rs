//! `storage.*`: the storage accounts the cloud endpoints use: their firewall, network path, SMB settings and
//! network security perimeter, key access, locks, and the role the File Sync first-party app needs with keys.

mod network;
mod resources;
mod settings;

declare_checks! {
    STORAGE_TRUSTED_SERVICES = "storage.trusted-services" {
        title: "Storage firewall lets trusted Azure services in",
        description: "When the storage account firewall is on (default action Deny), its exceptions must include AzureServices so the Storage Sync Service can reach it.",
        error_codes: &["0x80c83096", "0x80131500"],
        run: settings::trusted_services,
    }
    STORAGE_NETWORK_ACCESS = "storage.network-access" {
        title: "Servers can reach the storage account",
        description: "publicNetworkAccess Disabled needs an approved private endpoint; a firewall that denies by default needs an IP rule, a virtual network rule or an approved private endpoint through which the servers come in; under an enforced network security perimeter (SecuredByPerimeter), whose rules replace the firewall, an approved private endpoint or an inbound address rule of the perimeter.",
        error_codes: &["0x80c8033e", "0x80c83099"],
        run: resources::network_access,
    }
    STORAGE_SMB_SETTINGS = "storage.smb-settings" {
        title: "The storage account's SMB security settings let File Sync in",
        description: "File Sync needs the account's SMB security settings (fileServices/default, protocolSettings.smb) to allow the SMB 3.1.1 protocol version, NTLMv2 authentication and AES-128-GCM channel encryption; an absent list allows every value. Source: https://learn.microsoft.com/azure/storage/file-sync/file-sync-deployment-guide#prerequisites",
        error_codes: &["0x80c8305f", "0x80c86053", "0x80c86030"],
        run: network::smb_settings,
    }
    STORAGE_NETWORK_PERIMETER = "storage.network-perimeter" {
        title: "A network security perimeter around the storage account lets File Sync in",
        description: "For an account with publicNetworkAccess SecuredByPerimeter the perimeter's rules replace its firewall: the Storage Sync Service must use its managed identity, and the perimeter's profile needs an inbound access rule for the service's subscription (enforced mode; learning mode still falls back to the firewall and is a warning). Source: https://learn.microsoft.com/azure/storage/common/storage-network-security-perimeter",
        error_codes: &["0x80c8305f", "0x80c86053"],
        run: network::network_perimeter,
    }
    STORAGE_SHARED_KEY_ACCESS = "storage.shared-key-access" {
        title: "Shared key access is on",
        description: "allowSharedKeyAccess=false breaks sync (0x80c8307c) while the service is not in identity mode or any server still uses its certificate (a failure); Microsoft's File Sync deployment guide still lists key access as a prerequisite with managed identities, so it is a warning even then. Repair never turns it off. Sources: learn.microsoft.com/azure/storage/file-sync/file-sync-deployment-guide; the 0x80c8307c entry of file-sync-troubleshoot-sync-errors.",
        error_codes: &["0x80c8307c"],
        run: settings::shared_key_access,
    }
    STORAGE_LOCK = "storage.lock" {
        title: "No ReadOnly lock on the storage account",
        description: "A ReadOnly lock on the storage account or its resource group blocks File Sync (and role assignments); CanNotDelete locks are fine.",
        error_codes: &["0x80c83092"],
        run: resources::lock,
    }
    STORAGE_LEGACY_SYNC_PRINCIPAL = "storage.legacy-sync-principal" {
        title: "Microsoft.StorageSync holds Reader and Data Access",
        description: "While the service or any server still uses keys, the Microsoft.StorageSync first-party service principal ('Hybrid File Sync Service') needs Reader and Data Access on the storage account (a failure, 0x80c8305f). In identity mode it is informational (pass when held, not applicable when not): the managed identity articles list only Storage Account Contributor and Storage File Data Privileged Contributor, and the resource move article sets the identity topology apart from this service-principal approach. Never suggested for removal. Sources: azure-docs file-sync-managed-identities.md (05/2025), SupportArticles-docs file-sync-troubleshoot-managed-identities.md (04/2025), azure-docs file-sync-resource-move.md (08/2026).",
        error_codes: &["0x80c8305f"],
        run: settings::legacy_sync_principal,
    }
}
