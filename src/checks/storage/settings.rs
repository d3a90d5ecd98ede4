//! `storage.trusted-services`, `storage.shared-key-access`, `storage.legacy-sync-principal`: storage account
//! settings that decide whether File Sync gets in.

use crate::checks::check::CheckContext;
use crate::checks::shared::{rg, unread};
use crate::model::check_id::CheckId;
use crate::model::findings::{Finding, Status, Text};
use crate::model::index::{Index, RoleState};
use crate::model::phrases::{describe_scope, grant_command, ps_quote};
use crate::model::roles;

pub(super) fn trusted_services(ix: &Index, _ctx: &CheckContext) -> Vec<Finding> {
    let check = CheckId::STORAGE_TRUSTED_SERVICES;
    ix.referenced_accounts()
        .into_iter()
        .map(|a| {
            if !a.read {
                return unread(check, a);
            }
            let f = Finding::new(check, Status::Pass, &a.id, &a.name, "")
                .evidence("defaultAction", a.network_acls.as_ref().map(|n| n.default_action.clone()))
                .evidence("bypass", a.network_acls.as_ref().map(|n| n.bypass.clone()));
            match &a.network_acls {
                Some(n) if a.firewall_on() && !n.bypasses_azure_services() => {
                    let mut bypass: Vec<String> =
                        n.bypass.split(',').map(|b| b.trim().to_string()).filter(|b| !b.is_empty() && !b.eq_ignore_ascii_case("None")).collect();
                    bypass.push("AzureServices".into());
                    Finding {
                        status: Status::Fail,
                        message: Text::fixed("The storage firewall is on and does not let trusted Azure services in, so the Storage Sync Service is blocked."),
                        ..f.codes(&["0x80c83096", "0x80131500"])
                    }
                    .fix(
                        "Add the exception 'Allow Azure services on the trusted services list to access this storage account' (bypass AzureServices), keeping the other exceptions.",
                        Some(format!(
                            "Update-AzStorageAccountNetworkRuleSet -ResourceGroupName {} -Name {} -Bypass {}",
                            ps_quote(&rg(&a.id)),
                            ps_quote(&a.name),
                            bypass.join(",")
                        )),
                    )
                }
                Some(_) if a.firewall_on() => Finding { message: Text::fixed("The storage firewall is on and lets trusted Azure services in."), ..f },
                _ => Finding { message: Text::fixed("The storage firewall is off (default action Allow)."), ..f },
            }
        })
        .collect()
}

/// Storage account key access (`allowSharedKeyAccess`).
///
/// Sources: the deployment guide lists "Allow storage account key access" among the storage account
/// prerequisites (<https://learn.microsoft.com/azure/storage/file-sync/file-sync-deployment-guide>), and the
/// documented fix for 0x80c8307c is to turn it back on
/// (<https://learn.microsoft.com/troubleshoot/azure/azure-storage/files/file-sync/file-sync-troubleshoot-sync-errors>).
/// The managed identity article (<https://learn.microsoft.com/azure/storage/file-sync/file-sync-managed-identities>)
/// does not say key access may be turned off once everything uses identities, so off is never a pass: a
/// failure while anything still uses keys, a warning otherwise. Nothing here suggests turning it off.
pub(super) fn shared_key_access(ix: &Index, _ctx: &CheckContext) -> Vec<Finding> {
    let check = CheckId::STORAGE_SHARED_KEY_ACCESS;
    ix.referenced_accounts()
        .into_iter()
        .map(|a| {
            if !a.read {
                return unread(check, a);
            }
            let users = ix.key_users(&a.id);
            let f = Finding::new(check, Status::Pass, &a.id, &a.name, "")
                .evidence("allowSharedKeyAccess", a.allow_shared_key_access)
                .evidence("stillUsingKeys", &users);
            let turn_on = format!(
                "Set-AzStorageAccount -ResourceGroupName {} -Name {} -AllowSharedKeyAccess $true",
                ps_quote(&rg(&a.id)),
                ps_quote(&a.name)
            );
            match (a.shared_key_allowed(), users.is_empty()) {
                (true, true) => Finding {
                    message: Text::fixed("Shared key access is on, as the File Sync deployment guide requires (even with managed identities in use)."),
                    ..f
                },
                (true, false) => Finding { message: Text::fixed("Shared key access is on, as it must be while keys are still in use."), ..f },
                (false, true) => Finding {
                    status: Status::Warning,
                    message: Text::fixed("Shared key access is off. Everything here uses managed identities, but Microsoft's File Sync documents still list key access as a prerequisite and do not say it may be turned off; sync or cloud endpoint changes may fail with 0x80c8307c."),
                    ..f.codes(&["0x80c8307c"])
                }
                .fix(
                    "Turn shared key access back on (File Sync deployment guide, storage account prerequisites); if a policy forbids it, keep watching for 0x80c8307c after every change.",
                    Some(turn_on),
                ),
                (false, false) => Finding {
                    status: Status::Fail,
                    message: format!("Shared key access is off, but keys are still in use: {}.", users.join("; ")).into(),
                    ..f.codes(&["0x80c8307c"])
                }
                .fix(
                    "Turn shared key access back on (the documented fix for 0x80c8307c); finishing the switch to managed identities (filesync-identity enable-identity) does not make it optional.",
                    Some(turn_on),
                ),
            }
        })
        .collect()
}

/// Reader and Data Access for the Microsoft.StorageSync first-party service principal.
///
/// While keys are in use it is required (0x80c8305f without it; the service principal shows as
/// "Microsoft.StorageSync" or "Hybrid File Sync Service"). In identity mode it is informational: the
/// managed identity articles (azure-docs `file-sync-managed-identities.md`, 05/2025; SupportArticles-docs
/// `file-sync-troubleshoot-managed-identities.md`, 04/2025) list only Storage Account Contributor and Storage
/// File Data Privileged Contributor, and the resource move article (azure-docs `file-sync-resource-move.md`,
/// 08/2026) sets the managed identity topology apart from this service-principal approach. So it passes
/// when held and is not applicable when not, with one line that it is only needed while keys are in use.
/// Nothing here suggests removing it.
pub(super) fn legacy_sync_principal(ix: &Index, _ctx: &CheckContext) -> Vec<Finding> {
    let check = CheckId::STORAGE_LEGACY_SYNC_PRINCIPAL;
    let role = roles::READER_AND_DATA_ACCESS;
    const ONLY_WITH_KEYS: &str = "Everything here uses managed identities, for which the managed identity articles list only Storage Account Contributor and Storage File Data Privileged Contributor: this role is only needed while the service uses keys.";
    ix.referenced_accounts()
        .into_iter()
        .map(|a| {
            let users = ix.key_users(&a.id);
            let keys_in_use = !users.is_empty();
            let subscription = a.id.subscription_id().unwrap_or_default();
            let f = Finding::new(check, Status::NotApplicable, &a.id, &a.name, "")
                .evidence("stillUsingKeys", &users)
                .role(roles::role_definition_id(subscription, role))
                .scope(&a.id);
            let Some(principal) = ix.snapshot.storage_sync_principal_id.as_deref() else {
                if !keys_in_use {
                    return Finding { message: Text::fixed(ONLY_WITH_KEYS), ..f };
                }
                let why = ix.snapshot.storage_sync_principal_source.clone().unwrap_or_else(|| "unknown".into());
                return Finding {
                    status: Status::Unknown,
                    message: Text::fixed("Could not verify the Reader and Data Access role of Microsoft.StorageSync: its object id in this tenant is not known."),
                    ..f
                }
                .because(format!("{why}; pass --storage-sync-principal-id (Get-AzADServicePrincipal -ApplicationId 9469b9f5-6722-4481-a2b2-14ed560b706f)"));
            };
            let f = f.principal(principal);
            match ix.role_state(principal, role.guid, &a.id, &a.id) {
                RoleState::Effective(ra) if keys_in_use => Finding {
                    status: Status::Pass,
                    message: format!("Microsoft.StorageSync holds Reader and Data Access (assigned at {}).", describe_scope(&ra.scope)).into(),
                    ..f.evidence("assignmentId", &ra.id)
                },
                RoleState::Effective(ra) => Finding {
                    status: Status::Pass,
                    message: format!(
                        "Microsoft.StorageSync holds Reader and Data Access (assigned at {}). {ONLY_WITH_KEYS}",
                        describe_scope(&ra.scope)
                    )
                    .into(),
                    ..f.evidence("assignmentId", &ra.id)
                },
                _ if !keys_in_use => Finding { message: Text::fixed(ONLY_WITH_KEYS), ..f },
                RoleState::NotRead => Finding {
                    status: Status::Unknown,
                    message: Text::fixed("Could not tell whether Microsoft.StorageSync holds Reader and Data Access: role assignments were not read."),
                    ..f
                }
                .because("role assignments of the storage account were not read (see collection.read)"),
                _ => Finding {
                    status: Status::Fail,
                    message: format!(
                        "Microsoft.StorageSync lacks Reader and Data Access on the account while keys are still in use ({}).",
                        users.join("; ")
                    ).into(),
                    ..f.codes(&["0x80c8305f"])
                }
                .fix(
                    "Give the Microsoft.StorageSync service principal (object id, not app id; the portal may show it as 'Hybrid File Sync Service') Reader and Data Access on the storage account: File Sync reaches the account with its keys through it.",
                    Some(grant_command(principal, role, a.id.as_str())),
                ),
            }
        })
        .collect()
}
