//! Pending activation: a change made minutes ago may not have taken effect yet.

use crate::checks::check::CheckContext;
use crate::model::findings::{Finding, Status};
use crate::model::snapshot::StorageSyncService;

/// When the service changed less than the propagation delay before `ctx.now`, a role failure may be an
/// assignment that is still propagating: make it a warning that says so.
pub(crate) fn soften(ctx: &CheckContext, svc: &StorageSyncService, f: Finding) -> Finding {
    let Some(changed) = svc.last_modified_at else { return f };
    let age = ctx.now - changed;
    if f.status != Status::Fail || age < -chrono::Duration::minutes(5) || age >= ctx.propagation_delay {
        return f;
    }
    let minutes = age.num_minutes().max(0);
    Finding {
        status: Status::Warning,
        message: format!(
            "{} The Storage Sync Service was changed {} before the collection; identity and role changes take up to {} minutes to take effect, so this may still be propagating: check again later before acting.",
            f.message,
            crate::model::text::count(minutes as u64, "minute", "minutes"),
            ctx.propagation_delay.num_minutes()
        ).into(),
        ..f.evidence("serviceLastModifiedAt", changed).evidence("pendingActivation", true)
    }
}
