//! `cloud-endpoint.*`: each cloud endpoint's share, and the roles the Storage Sync Service's identity needs on
//! its storage account and share.

use super::check::CheckContext;
use super::shared::grant::{append_fix, judge};
use super::shared::rg;
use crate::model::check_id::CheckId;
use crate::model::findings::{Finding, Status, Text};
use crate::model::index::Index;
use crate::model::phrases::ps_quote;
use crate::model::roles::{self, BuiltInRole};
use crate::model::snapshot::{CloudEndpoint, SyncGroup};

declare_checks! {
    CLOUD_ENDPOINT_SHARE_EXISTS = "cloud-endpoint.share-exists" {
        title: "Cloud endpoint's file share exists",
        description: "The share a cloud endpoint names must exist in its storage account.",
        error_codes: &["0x80c86030"],
        run: share_exists,
    }
    CLOUD_ENDPOINT_SERVICE_ACCOUNT_ROLE = "cloud-endpoint.service-account-role" {
        title: "Service identity holds Storage Account Contributor on the storage account",
        description: "The Storage Sync Service's identity needs Storage Account Contributor on each storage account that holds a cloud endpoint's share (at the account or above).",
        error_codes: &["0x80c8305f"],
        run: service_account_role,
    }
    CLOUD_ENDPOINT_SERVICE_SHARE_ROLE = "cloud-endpoint.service-share-role" {
        title: "Service identity holds Storage File Data Privileged Contributor on the share",
        description: "The Storage Sync Service's identity needs Storage File Data Privileged Contributor on each cloud endpoint's share (scope .../fileServices/default/fileshares/<share>, or above).",
        error_codes: &["0x80c86053"],
        run: service_share_role,
    }
}

pub(super) fn share_exists(ix: &Index, _ctx: &CheckContext) -> Vec<Finding> {
    let check = CheckId::CLOUD_ENDPOINT_SHARE_EXISTS;
    ix.cloud_endpoints()
        .map(|(_, group, c)| {
            let name = match c.share() {
                Some(s) => format!("{s} (sync group {})", group.name),
                None => format!("cloud endpoint {} (sync group {})", c.name, group.name),
            };
            let f = Finding::new(check, Status::Unknown, &c.id, &name, "")
                .evidence("azureFileShareName", &c.azure_file_share_name);
            let (Some(account_id), Some(share)) = (ix.cloud_account(c), c.share()) else {
                return Finding { message: Text::fixed("The cloud endpoint names no usable storage account or share."), ..f }
                    .because("storageAccountResourceId or azureFileShareName is empty or malformed");
            };
            let Some(account) = ix.account(&account_id) else {
                return Finding { message: Text::fixed("The storage account was not collected."), ..f }
                    .because("the storage account is missing from the snapshot");
            };
            match account.has_share(share) {
                None => Finding {
                    message: format!("Could not tell whether share '{share}' exists: the account's shares could not be listed.").into(),
                    ..f
                }
                .because("the share list of the storage account could not be read (see collection.read)"),
                Some(true) => Finding {
                    status: Status::Pass,
                    message: format!("Share '{share}' exists in storage account '{}'.", account.name).into(),
                    ..f
                },
                Some(false) => Finding {
                    status: Status::Fail,
                    message: format!(
                        "Share '{share}' does not exist in storage account '{}' (it was deleted or renamed), so sync to it fails with 0x80c86030.",
                        account.name
                    ).into(),
                    ..f.codes(&["0x80c86030"]).evidence("shares", &account.shares)
                }
                .fix(
                    "Restore the share (soft delete keeps it for a while), or create it again; if the data is gone for good, remove the cloud endpoint and sync group and create them anew.",
                    Some(format!(
                        "New-AzRmStorageShare -ResourceGroupName {} -StorageAccountName {} -Name {}",
                        ps_quote(&rg(&account.id)),
                        ps_quote(&account.name),
                        ps_quote(share)
                    )),
                ),
            }
        })
        .collect()
}

fn endpoint_name(c: &CloudEndpoint, group: &SyncGroup) -> String {
    match c.share() {
        Some(s) => format!("{} (sync group {})", s, group.name),
        None => format!("cloud endpoint {} (sync group {})", c.name, group.name),
    }
}

/// Shared frame for the two service-identity checks.
fn service_role_check(
    ix: &Index,
    ctx: &CheckContext,
    check: CheckId,
    role: BuiltInRole,
    share_scope: bool,
    codes: &[&'static str],
) -> Vec<Finding> {
    ix.cloud_endpoints()
        .map(|(svc, group, c)| {
            let name = Text::from(endpoint_name(c, group));
            let base = Finding::new(check, Status::NotApplicable, &c.id, &name, Text::default());
            let Some(principal) = svc.system_principal_id() else {
                return Finding {
                    message: Text::fixed(
                        "The Storage Sync Service has no identity to hold the role (see service.identity).",
                    ),
                    ..base
                };
            };
            let Some(account) = ix.cloud_account(c) else {
                return Finding {
                    status: Status::Unknown,
                    message: format!(
                        "The cloud endpoint names no usable storage account ('{}').",
                        c.storage_account_resource_id.as_deref().unwrap_or("")
                    )
                    .into(),
                    ..base
                }
                .because("storageAccountResourceId is empty or malformed");
            };
            let scope = if share_scope {
                match ix.cloud_share_scope(c) {
                    Some(s) => s,
                    None => {
                        return Finding {
                            status: Status::Unknown,
                            message: Text::fixed("The cloud endpoint names no usable file share."),
                            ..base
                        }
                        .because("azureFileShareName is empty or malformed")
                    }
                }
            } else {
                account.clone()
            };
            let f = judge(
                ix,
                check,
                &c.id,
                &name,
                "the Storage Sync Service's identity",
                principal,
                role,
                &scope,
                &account,
                svc.use_identity,
                codes,
            );
            let f = if matches!(f.status, Status::Fail | Status::Warning) {
                let mut extra = format!(
                    "The managed identity troubleshooting article (04/2025) gives the same fix as Set-AzStorageSyncCloudEndpointPermission -ResourceGroupName {} -StorageSyncServiceName {} -SyncGroupName {} -Name {} (the cloud endpoint's GUID name).",
                    ps_quote(svc.id.resource_group().unwrap_or_default()),
                    ps_quote(&svc.name),
                    ps_quote(&group.name),
                    ps_quote(&c.name)
                );
                if svc.use_identity && ix.assignments_of(principal).is_empty() {
                    extra.push_str(" The service's identity holds no role at all while everything else is in place, as after a resource move (role assignments do not move, even within a tenant; resource move article, 08/2026): the documented step is to turn the identity on again (Set-AzStorageSyncServiceIdentity) and grant the roles again, which a repair plan does.");
                }
                append_fix(f, &extra)
            } else {
                f
            };
            super::shared::pending::soften(ctx, svc, f)
        })
        .collect()
}

pub(super) fn service_account_role(ix: &Index, ctx: &CheckContext) -> Vec<Finding> {
    service_role_check(
        ix,
        ctx,
        CheckId::CLOUD_ENDPOINT_SERVICE_ACCOUNT_ROLE,
        roles::STORAGE_ACCOUNT_CONTRIBUTOR,
        false,
        &["0x80c8305f"],
    )
}

pub(super) fn service_share_role(ix: &Index, ctx: &CheckContext) -> Vec<Finding> {
    service_role_check(
        ix,
        ctx,
        CheckId::CLOUD_ENDPOINT_SERVICE_SHARE_ROLE,
        roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR,
        true,
        &["0x80c86053"],
    )
}
