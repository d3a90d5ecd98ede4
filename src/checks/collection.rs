//! `collection.*`: what the collection could not read.

use super::check::CheckContext;
use crate::model::check_id::CheckId;
use crate::model::findings::{Finding, Status};
use crate::model::index::Index;

declare_checks! {
    COLLECTION_READ = "collection.read" {
        title: "Everything could be read",
        description: "Reports each part of the deployment that could not be read during collection (for example a 403 on one storage account), so the checks that depend on it say 'unknown' rather than guess.",
        error_codes: &[],
        run: collection_read,
    }
}

pub(super) fn collection_read(ix: &Index, _ctx: &CheckContext) -> Vec<Finding> {
    ix.snapshot
        .collection_errors
        .iter()
        .map(|e| {
            let name = e.resource_id.rsplit('/').next().unwrap_or_default().to_string();
            let mut f = Finding::new(
                CheckId::COLLECTION_READ,
                Status::Unknown,
                &e.resource_id,
                name,
                format!("Could not read {} of this resource: {}", e.operation, e.message),
            )
            .because(format!("{} could not be read; checks that need it report unknown", e.operation))
            .evidence("operation", &e.operation)
            .evidence("kind", e.kind.as_str());
            if let Some(s) = e.status {
                f = f.evidence("status", s);
            }
            if let Some(c) = &e.arm_code {
                f = f.evidence("armCode", c);
            }
            if let Some(r) = &e.request_id {
                f = f.evidence("requestId", r);
            }
            let fix = if e.status == Some(403) {
                "Give the identity that runs this tool read access here (Reader, or Azure File Sync Reader on the service), then run it again."
            } else {
                "Run the collection again; if it keeps failing, quote the request id to Azure support."
            };
            f.fix(fix, None)
        })
        .collect()
}
