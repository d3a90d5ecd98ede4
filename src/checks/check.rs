//! What a check is: the context it runs in besides the snapshot, and the declaration every area makes of
//! each of its checks (`declare_checks!`). The areas, the shared helpers and the registry all build on this
//! file, which names none of them.

use chrono::{DateTime, Utc};

use crate::model::check_id::CheckId;
use crate::model::findings::Finding;
use crate::model::index::Index;

/// What the checks need besides the snapshot.
#[derive(Debug, Clone)]
pub struct CheckContext {
    /// "Now", for ages (heartbeats, identity propagation).
    pub now: DateTime<Utc>,
    /// How long a freshly enabled identity or new role assignment may take to take effect.
    pub propagation_delay: chrono::Duration,
}

impl CheckContext {
    pub fn at(now: DateTime<Utc>) -> Self {
        CheckContext { now, propagation_delay: chrono::Duration::minutes(15) }
    }
}

/// A check's description.
#[derive(Debug, Clone, Copy, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckInfo {
    pub id: CheckId,
    pub title: &'static str,
    /// What it verifies, in a sentence or two.
    pub description: &'static str,
    /// File Sync error codes it can explain.
    pub error_codes: &'static [&'static str],
    #[serde(skip)]
    pub run: fn(&Index, &CheckContext) -> Vec<Finding>,
}

/// How many checks the lists hold.
pub(crate) const fn count(lists: &[&[CheckInfo]]) -> usize {
    let (mut n, mut i) = (0, 0);
    while i < lists.len() {
        n += lists[i].len();
        i += 1;
    }
    n
}

/// The lists one after the other; `N` is their [`count`] (the build fails otherwise).
pub(crate) const fn join<const N: usize>(lists: &[&[CheckInfo]]) -> [CheckInfo; N] {
    let mut out = [lists[0][0]; N];
    let (mut n, mut i) = (0, 0);
    while i < lists.len() {
        let mut j = 0;
        while j < lists[i].len() {
            out[n] = lists[i][j];
            n += 1;
            j += 1;
        }
        i += 1;
    }
    assert!(n == N, "join: N is not the count of the lists");
    out
}

/// The ids of `checks`, in their order.
pub(crate) const fn ids<const N: usize>(checks: &[CheckInfo; N]) -> [CheckId; N] {
    let mut out = [checks[0].id; N];
    let mut i = 0;
    while i < N {
        out[i] = checks[i].id;
        i += 1;
    }
    out
}
