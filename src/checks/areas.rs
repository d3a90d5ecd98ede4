//! The areas whose checks look at the deployment itself, in report order: every area but `sync`, whose one
//! check reviews their findings (and so comes after them, and names this list rather than the registry).

use super::check::{count, join, CheckInfo};
use super::{caller, cloud_endpoint, collection, identity, role, server, server_endpoint, service, storage};

const AREAS: &[&[CheckInfo]] = &[
    collection::CHECKS,
    service::CHECKS,
    identity::CHECKS,
    server::CHECKS,
    cloud_endpoint::CHECKS,
    server_endpoint::CHECKS,
    role::CHECKS,
    storage::CHECKS,
    caller::CHECKS,
];

/// Their checks, one area after the other (for the registry to join at build time).
pub(super) const LIST: [CheckInfo; count(AREAS)] = join(AREAS);

/// [`LIST`], once in memory.
pub(super) static CHECKS: [CheckInfo; count(AREAS)] = LIST;

/// Whether check `id` declares that it can explain `code` (no `sync` check explains a code of its own).
pub(super) fn explains(id: &str, code: &str) -> bool {
    CHECKS.iter().any(|c| c.id == id.trim() && c.error_codes.iter().any(|e| e.eq_ignore_ascii_case(code.trim())))
}
