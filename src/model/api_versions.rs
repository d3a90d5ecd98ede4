//! The api-version of each resource provider this tool reads and writes: data, shared by the collector,
//! the ARM client and the planner (a plan carries the version of each request it holds), so the pure
//! planner needs nothing from the client.

/// Microsoft.StorageSync: 2022-09-01 carries every identity field and is available in every cloud.
pub const STORAGE_SYNC: &str = "2022-09-01";
/// Microsoft.Storage (storage accounts, file shares).
pub const STORAGE: &str = "2023-05-01";
/// Microsoft.Authorization role assignments, permissions, deny assignments.
pub const AUTHORIZATION: &str = "2022-04-01";
/// Microsoft.Authorization/locks.
pub const LOCKS: &str = "2016-09-01";
/// Microsoft.HybridCompute machines (Azure Arc-enabled servers): Machines_Get, stable.
pub const HYBRID_COMPUTE: &str = "2024-07-10";
/// Microsoft.Compute virtual machines: VirtualMachines_Get, stable.
pub const COMPUTE: &str = "2024-07-01";
/// Azure Resource Graph (`POST /providers/Microsoft.ResourceGraph/resources`).
pub const RESOURCE_GRAPH: &str = "2024-04-01";
/// Management groups (`.../managementGroups/{id}/descendants`).
pub const MANAGEMENT_GROUPS: &str = "2020-05-01";
/// Subscriptions (`GET /subscriptions`).
pub const SUBSCRIPTIONS: &str = "2022-12-01";
