//! The tenant collection's Resource Graph reads against the fake ARM (moved here from `tests/tenant.rs`,
//! which holds what a scope's run answers through the front door): the client pages a query that
//! projects `id`, and says so when ARG cut an answer it could not page.

use std::sync::Arc;

use fake_arm::topology::roles;
use fake_arm::{FakeArm, ServiceSeed, Topology};

use crate::arm::resource_graph::QueryScope;
use crate::arm::{ArmClient, ClientOptions};
use crate::cloud::Cloud;
use crate::collect::graph_rows::IDS_PER_QUERY;
use crate::collect::tenant::SERVICES_QUERY;
use crate::credentials::StaticTokenCredential;
use crate::events::NullSink;
use crate::Secret;

const TOKEN: &str = "sentinel-token-tenant-unit-5b1d";
const CALLER: &str = "c0ffee00-0000-4000-8000-00000000c411";
const SUB_B: &str = "3c5f7b9d-2e4a-4b6c-8d8e-1f2a3b4c5d6e";

fn client(fake: &FakeArm) -> ArmClient {
    let cloud = Cloud::resolve(None, Some(fake.url()), None).unwrap();
    let credential = Arc::new(StaticTokenCredential::new(Secret::new(TOKEN)).unwrap());
    ArmClient::new(cloud, credential, ClientOptions::default(), Arc::new(NullSink), Default::default()).unwrap()
}

/// 1,006 services in one subscription the caller reads: more than one page of Resource Graph rows.
fn many_services() -> Topology {
    let mut t = Topology::new().with_token(TOKEN, CALLER).with_service(ServiceSeed::new(SUB_B, "rg-b", "svc-b"));
    for i in 0..1005 {
        t = t.with_service(ServiceSeed::new(SUB_B, "rg-many", &format!("svc-{i:04}")));
    }
    t.assign(&format!("/subscriptions/{SUB_B}"), roles::READER, CALLER)
}

#[tokio::test]
async fn a_query_projecting_id_is_paged_and_a_cut_answer_is_said_to_be_cut() {
    let fake = FakeArm::start(many_services()).await;
    let client = client(&fake);
    let scope = QueryScope::Subscriptions(vec![SUB_B.to_string()]);
    // Projecting id: every row, over two pages.
    let paged = client.resource_graph(&scope, SERVICES_QUERY).await.unwrap();
    assert_eq!((paged.rows.len(), paged.pages, paged.truncated), (1006, 2, false));
    // Without id ARG cannot page: the answer is cut and said to be.
    let cut = client
        .resource_graph(&scope, "resources | where type =~ 'microsoft.storagesync/storagesyncservices' | project name, subscriptionId, resourceGroup")
        .await
        .unwrap();
    assert!(cut.truncated);
    assert_eq!(cut.rows.len(), 1000);
}

/// The benchmark's floor of the row queries (storage accounts and machines) counts with the collector's
/// batch (`bench/src/tenant.rs` declares it again, not reaching into this crate): the two agree.
#[test]
fn the_benchmark_counts_account_queries_with_the_collectors_batch() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/src/tenant.rs");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let declared = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("pub const IDS_PER_QUERY: usize = "))
        .and_then(|rest| rest.strip_suffix(';'))
        .unwrap_or_else(|| panic!("{} declares IDS_PER_QUERY", path.display()));
    assert_eq!(declared.trim().parse::<usize>().ok(), Some(IDS_PER_QUERY), "{}", path.display());
}
