//! `filesync-bench`: the benchmark of issue 6. Deterministic topology generators ([`gen`]), the request
//! models (floor, our collector's design, Microsoft's per-grant baseline) and their bounds ([`model`]),
//! and the collection runner ([`run`]) shared by the `filesync-bench` binary and the smoke test.

pub mod gen;
pub mod model;
pub mod run;
pub mod tenant;
