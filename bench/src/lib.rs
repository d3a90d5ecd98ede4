//! `filesync-bench`: the benchmark of issue 6. Deterministic topology generators ([`gen`]), the request
//! models (floor, our collector's design, Microsoft's per-grant baseline) and their bounds ([`model`]),
//! the requests counted by kind from the library's request events ([`requests`]), and the collection
//! runner ([`run`]) shared by the `filesync-bench` binary and the smoke test. The benchmark reaches the
//! library only through its public face: `filesync_identity::api` (a `Session` pointed at the fake, then
//! `snapshot_for`, `tenant_for`, `test_report`, `tenant_report`, `list_checks`), `model` and the error.

pub mod gen;
pub mod model;
pub mod requests;
pub mod run;
pub mod tenant;
