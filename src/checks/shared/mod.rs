//! Helpers several check areas share. Nothing here is a check; nothing here names an area.

pub(super) mod grant;
pub(super) mod pending;

use crate::model::check_id::CheckId;
use crate::model::findings::{Finding, Status};
use crate::model::index::Index;
use crate::model::resource_id::ResourceId;
use crate::model::snapshot::{StorageAccount, StorageSyncService};

/// A resource's group, for a command line.
pub(crate) fn rg(id: &ResourceId) -> String {
    id.resource_group().unwrap_or_default().to_string()
}

/// A service's resource group and name, for a command line.
pub(crate) fn rg_name(svc: &StorageSyncService) -> (String, String) {
    (svc.id.resource_group().unwrap_or_default().to_string(), svc.name.clone())
}

/// The finding of a check on a storage account that could not be read at all.
pub(crate) fn unread(check: CheckId, a: &StorageAccount) -> Finding {
    Finding::new(check, Status::Unknown, &a.id, &a.name, "The storage account's settings could not be read.")
        .because("the storage account could not be read (see collection.read)")
}

/// Did collection fail to read `operation` of this account?
pub(crate) fn not_read(ix: &Index, a: &StorageAccount, operation: &str) -> bool {
    ix.snapshot
        .collection_errors
        .iter()
        .any(|e| e.operation == operation && e.resource_id.eq_ignore_ascii_case(a.id.as_str()))
}
