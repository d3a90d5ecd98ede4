//! Issue 2: the client speaks ARM the way ARM expects (api-versions, tokens, paths, paging), reads each
//! thing once, and the fake rejects what ARM rejects.

mod support;

use fake_arm::FakeArm;
use filesync_identity::api::TargetSpec;
use support::*;

#[tokio::test]
async fn every_request_is_authorized_versioned_and_read_once() {
    let fake = FakeArm::start(healthy().topology()).await;
    let _ = diagnose(&fake).await;
    let log = fake.request_log();
    assert!(!log.is_empty());
    for r in &log {
        assert!(r.authorized, "unauthorized request {} {}", r.method, r.path);
        assert_eq!(r.status, 200, "{} {}?{} answered {} {:?}", r.method, r.path, r.query, r.status, r.error_code);
        assert_eq!(r.method, "GET", "collect must not write");
        if !r.path.starts_with("/v1.0/") {
            assert!(r.param("api-version").is_some(), "no api-version on {}", r.path);
        }
    }
    // Nothing is read twice.
    let mut seen = std::collections::HashSet::new();
    for r in &log {
        assert!(seen.insert(format!("{}?{}", r.path.to_lowercase(), r.query)), "read twice: {}?{}", r.path, r.query);
    }
    // The request budget: service, servers, sync groups, one sync group's two endpoint lists, the
    // storage account's seven reads (its file service's settings among them; no perimeter read for an
    // account not secured by one), and one Graph lookup; then per server with an identity, one Graph
    // lookup of its service principal and one read of the machine it names (server.machine-identity); and
    // the Activity Log of the service's, the account's and the machines' resource groups (one query each).
    assert_eq!(log.len(), 1 + 2 + 2 + 7 + 1 + 2 * 2 + 3, "{:#?}", log.iter().map(|r| &r.path).collect::<Vec<_>>());
    assert_eq!(log.iter().filter(|r| r.path.ends_with("/eventtypes/management/values")).count(), 3);
    // One role-assignment listing per storage account, whatever the number of principals.
    assert_eq!(log.iter().filter(|r| r.path.ends_with("/roleAssignments")).count(), 1);
}

#[tokio::test]
async fn request_count_does_not_grow_with_servers() {
    let mut d = healthy();
    for i in 0..40 {
        let id = format!("22222222-aaaa-4bbb-8ccc-{i:012}");
        let p = format!("6b6b6b6b-0000-4000-8000-{i:012}");
        let mut s = fake_arm::RegisteredServerSeed::new(&id, &format!("extra{i}.contoso.com")).using_identity(&p);
        s.agent_version = "20.0.0.0".into();
        d.service.registered_servers.push(s);
        d.service.sync_groups[0].server_endpoints.push(fake_arm::ServerEndpointSeed::new(
            &format!("e1e1e1e1-0000-4000-8000-{i:012}"),
            &id,
            "D:\\x",
        ));
        d.assignments.push((share_scope(), fake_arm::roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR, p));
    }
    let fake = FakeArm::start(d.topology()).await;
    let run = diagnose(&fake).await;
    // Only the machine lookups grow with servers: one Graph lookup each, and one ARM read for each
    // machine Graph names (the 40 extra servers' identities have no service principal: Graph says 404).
    let log = fake.request_log();
    let by_id = |r: &&fake_arm::LoggedRequest| r.path.to_ascii_lowercase().starts_with("/v1.0/serviceprincipals/");
    let machine = |r: &&fake_arm::LoggedRequest| {
        r.path.to_ascii_lowercase().contains("/machines/") || r.path.to_ascii_lowercase().contains("/virtualmachines/")
    };
    assert_eq!(log.iter().filter(by_id).count(), 42);
    assert_eq!(log.iter().filter(machine).count(), 2);
    // The rest is fixed: 13 reads of the deployment and three Activity Log queries (the machines' resource
    // group is one of them, however many machines it holds).
    assert_eq!(log.iter().filter(|r| !by_id(r) && !machine(r)).count(), 16);
    assert_eq!(run.of("server-endpoint.server-share-role").len(), 42);
}

#[tokio::test]
async fn paging_follows_next_links() {
    let mut d = healthy();
    for i in 0..5 {
        let name = format!("group{i}");
        d.service.sync_groups.push(fake_arm::SyncGroupSeed::new(&name).with_cloud_endpoint(
            fake_arm::CloudEndpointSeed::new(&format!("c1c1c1c1-0000-4000-8000-{i:012}"), &account_id(), SHARE),
        ));
    }
    let fake = FakeArm::start(d.topology().with_page_size(2)).await;
    let run = diagnose(&fake).await;
    assert_eq!(run.snapshot.services[0].sync_groups.len(), 6);
    assert!(fake.request_log().iter().any(|r| r.query.contains("skiptoken")), "no page after the first was read");
}

#[tokio::test]
async fn resource_group_and_subscription_targets() {
    let d = healthy();
    let mut other =
        fake_arm::ServiceSeed::new(SUB, "rg-other", "sync-dev").with_identity("5a5a5a5a-0000-4000-8000-0000000000dd");
    other.use_identity = true;
    let fake = FakeArm::start(d.topology().with_service(other.clone())).await;
    let rg = try_diagnose(&fake, TargetSpec::ResourceGroup { subscription_id: SUB.into(), resource_group: RG.into() })
        .await
        .unwrap();
    assert_eq!(rg.snapshot.services.len(), 1);
    let sub = try_diagnose(&fake, TargetSpec::Subscription { subscription_id: SUB.into() }).await.unwrap();
    assert_eq!(sub.snapshot.services.len(), 2);
}

#[tokio::test]
async fn missing_service_is_a_clear_not_found() {
    let fake = FakeArm::start(healthy().topology()).await;
    let id = filesync_identity::model::resource_id::storage_sync_service_id(SUB, RG, "nope").unwrap();
    let e = try_diagnose(&fake, TargetSpec::Service(id)).await.err().expect("must fail");
    assert_eq!(e.kind(), filesync_identity::ErrorKind::NotFound);
    assert!(e.to_string().contains("no Storage Sync Service 'nope'"), "{e}");
    assert!(e.request_id().is_some());
}

#[tokio::test]
async fn a_bad_token_is_an_authentication_error() {
    let fake = FakeArm::start(healthy().topology()).await;
    let mut opts = session_options(&fake);
    opts.credential = Some(filesync_identity::api::CredentialOptions::access_token("not-a-known-token"));
    let days = filesync_identity::api::limits::ACTIVITY_DAYS.default;
    let e = collect_with(&opts, service_target(), days).await.err().expect("refused");
    assert_eq!(e.kind(), filesync_identity::ErrorKind::Authentication);
    assert_eq!(e.arm_code(), Some("InvalidAuthenticationToken"));
    assert!(!e.to_string().contains("not-a-known-token"));
}

#[tokio::test]
async fn transient_errors_are_retried_with_retry_after() {
    let fake = FakeArm::start(healthy().topology()).await;
    fake.inject(
        fake_arm::Fault::new(
            "GET",
            "/syncGroups",
            fake_arm::FaultAction::status_retry_after(429, "TooManyRequests", "slow down", 0),
        )
        .times(1),
    );
    fake.inject(
        fake_arm::Fault::new(
            "GET",
            "/registeredServers",
            fake_arm::FaultAction::status(503, "ServiceUnavailable", "x"),
        )
        .times(1),
    );
    let run = diagnose(&fake).await;
    assert!(run.snapshot.collection_errors.is_empty(), "{:?}", run.snapshot.collection_errors);
    assert_eq!(run.snapshot.services[0].sync_groups.len(), 1);
    let statuses: Vec<u16> = fake.request_log().iter().map(|r| r.status).collect();
    assert!(statuses.contains(&429) && statuses.contains(&503));
}

#[tokio::test]
async fn the_fake_rejects_what_arm_rejects() {
    let fake = FakeArm::start(healthy().topology()).await;
    let http = reqwest::Client::new();
    let url = format!("{}{}", fake.url(), service_id());
    // No api-version.
    let r = http.get(&url).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "MissingApiVersionParameter");
    // No token.
    let r = http.get(format!("{url}?api-version=2022-09-01")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    // The version our client sends is accepted.
    let r = http
        .get(format!("{url}?api-version={}", filesync_identity::model::api_versions::STORAGE_SYNC))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

/// A deny assignment on the second account's resource group, denying writes to everyone.
fn stack_deny() -> fake_arm::DenyAssignmentSeed {
    fake_arm::DenyAssignmentSeed {
        name: "stack-deny".into(),
        scope: format!("/subscriptions/{SUB}/resourceGroups/{RG_STORAGE}"),
        actions: vec!["*/write".into()],
        principals: vec!["00000000-0000-0000-0000-000000000000".into()],
        ..Default::default()
    }
}

/// The cloud endpoints with a failing deny-assignment finding.
fn failing_endpoints(run: &Run) -> usize {
    let failing = run
        .of("role.deny-assignment")
        .into_iter()
        .filter(|f| f.status == filesync_identity::model::findings::Status::Fail);
    failing.map(|f| f.resource_id.as_str()).collect::<std::collections::BTreeSet<_>>().len()
}

fn deny_lists(fake: &FakeArm) -> Vec<(String, u16)> {
    fake.request_log()
        .iter()
        .filter(|r| r.path.ends_with("/denyAssignments"))
        .map(|r| (r.path.clone(), r.status))
        .collect()
}

#[tokio::test]
async fn deny_assignments_are_listed_once_per_subscription() {
    let d = healthy().with_second_account();
    let fake = FakeArm::start(d.topology().with_deny_assignment(stack_deny())).await;
    let run = diagnose(&fake).await;
    let lists = deny_lists(&fake);
    assert_eq!(
        lists,
        vec![(format!("/subscriptions/{SUB}/providers/Microsoft.Authorization/denyAssignments"), 200)],
        "two accounts, one subscription: one list"
    );
    // The deny assignment is seen for both accounts' cloud endpoints.
    assert_eq!(failing_endpoints(&run), 2, "{:#?}", run.of("role.deny-assignment"));
}

fn assignment_lists(fake: &FakeArm) -> Vec<(String, u16)> {
    let mut lists: Vec<_> = fake
        .request_log()
        .iter()
        .filter(|r| r.method == "GET" && r.path.ends_with("/roleAssignments"))
        .map(|r| (r.path.clone(), r.status))
        .collect();
    lists.sort();
    lists
}

/// The verdicts of the role checks, by check and resource, to compare two runs.
fn role_verdicts(run: &Run) -> Vec<(String, String, filesync_identity::model::findings::Status)> {
    let checks = [
        "cloud-endpoint.service-account-role",
        "cloud-endpoint.service-share-role",
        "server-endpoint.server-share-role",
    ];
    let mut out: Vec<_> = run
        .report
        .findings
        .iter()
        .filter(|f| checks.contains(&f.check.as_str()))
        .map(|f| (f.check.to_string(), f.resource_id.to_string(), f.status))
        .collect();
    out.sort();
    out
}

/// A deployment with one role missing (server 2's on the second share) and an assignment elsewhere in the
/// subscription that bears on no storage account of the deployment.
fn with_unrelated_assignment(d: Deployment) -> Deployment {
    let mut d =
        d.without_assignment_at(fake_arm::roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR, P_S2, &share2_scope());
    d.assignments.push((format!("/subscriptions/{SUB}/resourceGroups/{RG}"), fake_arm::roles::READER, P_S1.into()));
    d
}

#[tokio::test]
async fn role_assignments_are_listed_once_per_subscription_and_kept_to_the_accounts() {
    let d = with_unrelated_assignment(healthy().with_second_account());
    let fake = FakeArm::start(d.topology()).await;
    let run = diagnose(&fake).await;
    assert_eq!(
        assignment_lists(&fake),
        vec![(format!("/subscriptions/{SUB}/providers/Microsoft.Authorization/roleAssignments"), 200)],
        "two accounts, one subscription: one list"
    );
    // The snapshot keeps what bears on the accounts (at, above or below one), not the assignment on the
    // sync resource group.
    let scopes: Vec<String> = run.snapshot.role_assignments.iter().map(|ra| ra.scope.to_string()).collect();
    assert!(scopes.contains(&share_scope()) && scopes.contains(&format!("/subscriptions/{SUB}")), "{scopes:#?}");
    assert!(!scopes.iter().any(|s| s.ends_with(&format!("/resourceGroups/{RG}"))), "{scopes:#?}");
    // The missing role is found on the second share and nowhere else.
    let missing: Vec<_> =
        role_verdicts(&run).into_iter().filter(|v| v.2 != filesync_identity::model::findings::Status::Pass).collect();
    assert_eq!(missing.len(), 1, "{missing:#?}");
    assert_eq!(missing[0].0, "server-endpoint.server-share-role");
}

#[tokio::test]
async fn a_caller_who_cannot_list_role_assignments_at_the_subscription_reads_each_account() {
    let owner = with_unrelated_assignment(healthy().with_second_account());
    let fake = FakeArm::start(owner.topology()).await;
    let by_subscription = diagnose(&fake).await;

    // The caller is Reader on the two resource groups only: the subscription's list is refused.
    let mut d = owner.without_assignment(fake_arm::roles::OWNER, CALLER);
    for rg in [RG, RG_STORAGE] {
        d.assignments.push((
            format!("/subscriptions/{SUB}/resourceGroups/{rg}"),
            fake_arm::roles::READER,
            CALLER.into(),
        ));
    }
    let fake = FakeArm::start(d.topology()).await;
    let run = diagnose(&fake).await;
    let mut want = vec![
        (format!("{}/providers/Microsoft.Authorization/roleAssignments", account_id()), 200),
        (format!("{}/providers/Microsoft.Authorization/roleAssignments", account2_id()), 200),
        (format!("/subscriptions/{SUB}/providers/Microsoft.Authorization/roleAssignments"), 403),
    ];
    want.sort();
    assert_eq!(assignment_lists(&fake), want);
    // The same verdicts as from the subscription's list, every account's assignments counted as read, and
    // no read error reported for the refused list.
    assert_eq!(role_verdicts(&run), role_verdicts(&by_subscription));
    assert!(run.snapshot.storage_accounts.iter().all(|a| a.role_assignments_read));
    assert!(
        !run.snapshot.collection_errors.iter().any(|e| e.operation == "roleAssignments"),
        "{:#?}",
        run.snapshot.collection_errors
    );
}

#[tokio::test]
async fn a_caller_who_cannot_list_them_at_the_subscription_reads_each_account() {
    // The caller is Reader on the two resource groups only: the subscription's list is refused.
    let mut d = healthy().with_second_account().without_assignment(fake_arm::roles::OWNER, CALLER);
    for rg in [RG, RG_STORAGE] {
        d.assignments.push((
            format!("/subscriptions/{SUB}/resourceGroups/{rg}"),
            fake_arm::roles::READER,
            CALLER.into(),
        ));
    }
    let fake = FakeArm::start(d.topology().with_deny_assignment(stack_deny())).await;
    let run = diagnose(&fake).await;
    let mut lists = deny_lists(&fake);
    lists.sort();
    let mut want = vec![
        (format!("{}/providers/Microsoft.Authorization/denyAssignments", account_id()), 200),
        (format!("{}/providers/Microsoft.Authorization/denyAssignments", account2_id()), 200),
        (format!("/subscriptions/{SUB}/providers/Microsoft.Authorization/denyAssignments"), 403),
    ];
    want.sort();
    assert_eq!(lists, want);
    // Same answer as with the subscription's list, and no read error reported for it.
    assert_eq!(failing_endpoints(&run), 2, "{:#?}", run.of("role.deny-assignment"));
    assert!(
        !run.snapshot.collection_errors.iter().any(|e| e.operation == "denyAssignments"),
        "{:#?}",
        run.snapshot.collection_errors
    );
}

/// When the fake answered a request (its own clock).
fn answered(r: &fake_arm::LoggedRequest) -> chrono::DateTime<chrono::Utc> {
    r.at + chrono::Duration::milliseconds(r.duration_ms as i64)
}

fn logged(fake: &FakeArm, path: &str) -> fake_arm::LoggedRequest {
    let log = fake.request_log();
    log.iter()
        .find(|r| r.method == "GET" && r.path.eq_ignore_ascii_case(path))
        .unwrap_or_else(|| panic!("no GET {path} in {:#?}", log.iter().map(|r| &r.path).collect::<Vec<_>>()))
        .clone()
}

#[tokio::test]
async fn a_services_lists_go_out_with_its_own_read_not_after_it() {
    let fake = FakeArm::start(healthy().topology()).await;
    // The service's read and its two lists are slow: the lists need only the service's id (the target), so
    // they are sent while its read is still unanswered, not one round trip later.
    fake.inject(
        fake_arm::Fault::new("GET", &format!("/storageSyncServices/{SVC}"), fake_arm::FaultAction::Delay(300)).times(3),
    );
    let run = diagnose(&fake).await;
    assert_eq!(run.snapshot.services[0].sync_groups.len(), 1);
    assert!(!run.snapshot.services[0].registered_servers.is_empty());
    let service = logged(&fake, &service_id());
    for list in ["registeredServers", "syncGroups"] {
        let r = logged(&fake, &format!("{}/{list}", service_id()));
        assert!(
            r.at < answered(&service),
            "{list} was asked for at {} after the service's read was answered at {}",
            r.at,
            answered(&service)
        );
    }
    assert!(run.snapshot.collection_errors.is_empty(), "{:#?}", run.snapshot.collection_errors);
}

#[tokio::test]
async fn the_activity_log_is_read_while_the_deployment_is_not_after_it() {
    let fake = FakeArm::start(healthy().topology()).await;
    // The subscription's role-assignment listing is slow; each resource group's Activity Log query goes out
    // as soon as the group is known (the service's, the account's, the servers' machines'), not once the
    // last read of the deployment is answered.
    fake.inject(fake_arm::Fault::new("GET", "/roleAssignments", fake_arm::FaultAction::Delay(400)).times(1));
    let run = diagnose(&fake).await;
    let listing = logged(&fake, &format!("/subscriptions/{SUB}/providers/Microsoft.Authorization/roleAssignments"));
    assert_eq!(listing.fault.as_deref(), Some("delay"));
    let queries: Vec<_> =
        fake.request_log().into_iter().filter(|r| r.path.ends_with("/eventtypes/management/values")).collect();
    assert_eq!(queries.len(), 3);
    for q in &queries {
        assert!(
            q.at < answered(&listing),
            "the Activity Log query {:?} was sent at {}, after the role assignments were answered at {}",
            q.param("$filter"),
            q.at,
            answered(&listing)
        );
    }
    // The snapshot holds the same log as before: one read scope per group, in order.
    let log = run.snapshot.activity_log.as_ref().expect("the Activity Log was read");
    let groups: Vec<&str> = log.scopes.iter().map(|s| s.resource_group.as_str()).collect();
    assert_eq!(groups, [RG_SERVERS, RG_STORAGE, RG], "{:?}", log.scopes);
    assert!(log.scopes.iter().all(|s| s.read));
}

/// The request events a collection emits, with the thread each came from.
#[derive(Default)]
struct ThreadsOfRequests(std::sync::Mutex<Vec<std::thread::ThreadId>>);

impl filesync_identity::api::EventSink for ThreadsOfRequests {
    fn emit(&self, event: filesync_identity::api::Event) {
        if let filesync_identity::api::Event::Request { .. } = event {
            self.0.lock().unwrap().push(std::thread::current().id());
        }
    }
}

fn collect_source() -> filesync_identity::api::Source {
    filesync_identity::api::Source {
        target: Some(filesync_identity::api::Target(service_target())),
        ..Default::default()
    }
}

/// A collection awaited outside the runtime (as the command line's `block_on` awaits it) runs as a task
/// of the runtime: its requests are sent and answered on the runtime's worker threads, where the
/// client's connections are, not on the awaiting thread, which every answer would otherwise cross to
/// and back from before the request it leads to leaves.
#[test]
fn a_collection_runs_on_the_runtime_not_on_the_thread_awaiting_it() {
    use filesync_identity::api::{self, CancellationToken, Session};
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let fake = rt.block_on(FakeArm::start(healthy().topology()));
    let session = Session::new(session_options(&fake)).unwrap();
    let threads = std::sync::Arc::new(ThreadsOfRequests::default());
    let sink: std::sync::Arc<dyn api::EventSink> = threads.clone();
    let (days, source) = (api::limits::ACTIVITY_DAYS.default, collect_source());
    let snapshot = rt
        .block_on(api::snapshot_for(&session, &source, days, sink, &CancellationToken::new()))
        .expect("the collection succeeds");
    assert!(snapshot.collection_errors.is_empty(), "{:#?}", snapshot.collection_errors);
    let threads = threads.0.lock().unwrap();
    assert_eq!(threads.len(), fake.request_log().len());
    let awaiting = std::thread::current().id();
    assert!(
        threads.iter().all(|t| *t != awaiting),
        "{} of {} requests were handled on the thread awaiting the collection",
        threads.iter().filter(|t| **t == awaiting).count(),
        threads.len()
    );
}

/// Dropping a collection stops it, though it runs as a task of its own: no answer reaches it after it
/// was dropped (its first requests were waiting for theirs).
#[tokio::test]
async fn a_dropped_collection_stops() {
    use filesync_identity::api::{self, CancellationToken, Session};
    let fake = FakeArm::start(healthy().topology().with_latency_ms(300)).await;
    let session = Session::new(session_options(&fake)).unwrap();
    let threads = std::sync::Arc::new(ThreadsOfRequests::default());
    let sink: std::sync::Arc<dyn api::EventSink> = threads.clone();
    let (days, source) = (api::limits::ACTIVITY_DAYS.default, collect_source());
    let cancel = CancellationToken::new();
    let collection = api::snapshot_for(&session, &source, days, sink, &cancel);
    // Dropped while its first requests wait for their answers.
    assert!(tokio::time::timeout(std::time::Duration::from_millis(100), collection).await.is_err());
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    assert!(threads.0.lock().unwrap().is_empty(), "the dropped collection went on reading");
}

/// Collections made on one session share its HTTP transport: the second finds the first's connections
/// kept and opens few of its own (the objects piped into one cmdlet share its session), where a second
/// session opens its own.
#[tokio::test]
async fn collections_on_one_session_reuse_its_connections() {
    use filesync_identity::api::{self, BufferSink, CancellationToken, EventSink, Session};
    async fn once(session: &Session) {
        let sink: std::sync::Arc<dyn EventSink> = std::sync::Arc::new(BufferSink::new());
        let (days, source) = (api::limits::ACTIVITY_DAYS.default, collect_source());
        let s = api::snapshot_for(session, &source, days, sink, &CancellationToken::new()).await.expect("collected");
        assert!(s.collection_errors.is_empty(), "{:#?}", s.collection_errors);
    }
    let fake = FakeArm::start(healthy().topology()).await;
    let shared = Session::new(session_options(&fake)).unwrap();
    once(&shared).await;
    let first = fake.connections_accepted();
    once(&shared).await;
    let second = fake.connections_accepted() - first;
    once(&Session::new(session_options(&fake)).unwrap()).await;
    let other = fake.connections_accepted() - first - second;
    assert!(first > 1, "the first collection opens several connections: {first}");
    assert!(second * 2 <= first, "the second on the same session opened {second} connections, the first {first}");
    // The control: a session of its own opens about as many as the first did.
    assert!(other * 2 > first, "another session opened {other} connections, the first {first}");
}
