//! `identity.*`: the identities of one deployment in one Entra tenant.

use super::check::CheckContext;
use crate::model::check_id::CheckId;
use crate::model::findings::{Finding, Status, Text};
use crate::model::index::Index;
use crate::model::phrases::ps_quote;
use crate::model::resource_id::is_zero_guid;

declare_checks! {
    IDENTITY_TENANT = "identity.tenant" {
        title: "Service, storage accounts and caller are in one tenant",
        description: "In identity mode the Storage Sync Service's identity (identity.tenantId), the servers' Arc machines or VMs and each storage account (the cloud endpoint's storageAccountTenantId) must be in one Entra tenant: managed identities across tenants are not supported (a failure). With keys it is a warning: it may still sync, but the resource move article calls File Sync across tenants unsupported (sync can stop), and the switch would fail. A caller signed in to another tenant is a warning. Sources: azure-docs file-sync-managed-identities.md (05/2025), file-sync-resource-move.md (08/2026).",
        error_codes: &["0x80c83079", "0x80c83088"],
        run: tenant,
    }
}

fn same_tenant(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

pub(super) fn tenant(ix: &Index, _ctx: &CheckContext) -> Vec<Finding> {
    let check = CheckId::IDENTITY_TENANT;
    let caller_tenant = ix.snapshot.caller.as_ref().and_then(|c| c.tenant_id.as_deref()).filter(|t| !is_zero_guid(t));
    ix.snapshot
        .services
        .iter()
        .map(|svc| {
            // (what, tenant)
            let mut seen: Vec<(String, String)> = Vec::new();
            if let Some(t) = svc.identity.as_ref().and_then(|i| i.tenant_id.as_deref()).filter(|t| !is_zero_guid(t)) {
                seen.push(("the Storage Sync Service's identity".into(), t.to_string()));
            }
            // The server resources (Arc machines, VMs) where their machines were read.
            for s in &svc.registered_servers {
                if let Some(t) = s.machine.as_ref().and_then(|m| m.machine_tenant_id.as_deref()) {
                    seen.push((format!("the machine of server '{}'", s.display_name()), t.to_string()));
                }
            }
            for g in &svc.sync_groups {
                for c in &g.cloud_endpoints {
                    if let Some(t) = c.storage_account_tenant_id.as_deref().filter(|t| !is_zero_guid(t)) {
                        let what = format!(
                            "storage account '{}' (cloud endpoint of sync group {})",
                            ix.cloud_account(c).and_then(|a| a.name().map(str::to_string)).unwrap_or_else(|| c.name.clone()),
                            g.name
                        );
                        seen.push((what, t.to_string()));
                    }
                }
            }
            let f = Finding::new(check, Status::Pass, &svc.id, &svc.name, "")
                .evidence("tenants", seen.iter().map(|(w, t)| format!("{w}: {t}")).collect::<Vec<_>>())
                .evidence("callerTenant", caller_tenant);
            let Some((_, first)) = seen.first() else {
                return Finding {
                    status: Status::Unknown,
                    message: Text::fixed("No tenant is known for the service's identity or its storage accounts."),
                    ..f
                }
                .because("identity.tenantId and storageAccountTenantId are absent");
            };
            let odd: Vec<&(String, String)> = seen.iter().filter(|(_, t)| !same_tenant(t, first)).collect();
            // Cross-tenant is unsupported for managed identities only: the managed identity article says the
            // service, the server resource (Arc machine or VM), the identity and the role assignments must be in
            // one tenant (https://learn.microsoft.com/azure/storage/file-sync/file-sync-managed-identities).
            // With keys it may still sync, but the resource move article (azure-docs file-sync-resource-move.md,
            // 08/2026) calls File Sync across tenants unsupported (sync can stop): a warning that says so.
            let identity_mode = svc.use_identity || svc.registered_servers.iter().any(|s| s.uses_managed_identity());
            if !odd.is_empty() {
                let list = seen.iter().map(|(w, t)| format!("{w} is in {t}")).collect::<Vec<_>>().join("; ");
                let f = f.evidence("identityMode", identity_mode);
                if !identity_mode {
                    return Finding {
                        status: Status::Warning,
                        message: format!("The deployment spans more than one Entra tenant ({list}). It syncs with storage account keys for now, but Microsoft's resource move article (08/2026) calls File Sync across tenants unsupported: sync can stop at any time. Managed identities need one tenant too, so switching this service to them would fail.").into(),
                        ..f
                    }
                    .fix(
                        "Bring the Storage Sync Service, the servers' Arc machines or VMs and the storage accounts into one tenant (for example create the cloud endpoint on an account in the service's tenant); only then switch to managed identities.",
                        None,
                    );
                }
                return Finding {
                    status: Status::Fail,
                    message: format!("The deployment spans more than one Entra tenant ({list}); File Sync does not support managed identities across tenants.").into(),
                    ..f.codes(&["0x80c83079", "0x80c83088"])
                }
                .fix(
                    "Keep the Storage Sync Service, its servers' Arc machines or VMs (their identities) and the storage accounts in one tenant: move the storage account's subscription back, or create the cloud endpoint on an account in the service's tenant.",
                    None,
                );
            }
            if let Some(ct) = caller_tenant.filter(|ct| !same_tenant(ct, first)) {
                return Finding {
                    status: Status::Warning,
                    message: format!(
                        "The deployment is in tenant {first}, but the signed-in identity's token is for tenant {ct}: role assignments made from here may name principals of the wrong tenant."
                    ).into(),
                    ..f
                }
                .fix("Sign in to the deployment's tenant and run again.", Some(format!("Connect-AzAccount -Tenant {}", ps_quote(first))));
            }
            Finding {
                message: format!("The service's identity and its storage accounts are in one tenant ({first}).").into(),
                ..f
            }
        })
        .collect()
}
