//! Unit tests of the planners and the plan model that need internals (which principals a snapshot knows,
//! the deterministic assignment name, the basis' fingerprint), on deployments served by the fake ARM
//! (the integration tests' `tests/support/deployment.rs`, compiled into the crate's tests).

use fake_arm::{roles, FakeArm};

use super::basis;
use super::plan::{assignment_name, known_principals, ChangeKind, PlanKind, PlanOptions, PRINCIPAL_PLACEHOLDER};
use super::planners;
use crate::model::principal::PrincipalId;
use crate::test_support::*;

#[tokio::test]
async fn every_planned_change_is_a_safe_one() {
    let mut firewall = broken_with_keys();
    firewall.account = firewall.account.clone().with_firewall("Deny", "None");
    let mut wrong_scope = healthy().without_assignment(roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR, P_S1);
    wrong_scope.assignments.push((
        format!("{}/fileServices/default/shares/{SHARE}", account_id()),
        roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR,
        P_S1.to_string(),
    ));
    let mut plans = Vec::new();
    for d in [broken_with_keys(), shared_key_mixed(), firewall.clone(), wrong_scope] {
        let fake = FakeArm::start(d.topology()).await;
        let run = diagnose(&fake).await;
        let known = known_principals(&run.snapshot);
        for p in [
            planners::plan_repair(&run.snapshot, &run.report.findings),
            planners::plan_repair_with(
                &run.snapshot,
                &run.report.findings,
                PlanOptions { include_security_posture_changes: true },
            ),
            planners::plan_enable_identity(&run.snapshot),
        ] {
            p.validate().unwrap();
            for c in &p.changes {
                if c.kind != ChangeKind::RoleAssignment {
                    continue;
                }
                let g = c.grant.as_ref().unwrap();
                assert!(crate::model::roles::GRANTABLE.iter().any(|r| r.guid == g.role_guid), "{c:#?}");
                assert!(
                    PrincipalId::parse(&g.principal_id).is_ok_and(|p| known.contains(&p))
                        || (g.principal_id == PRINCIPAL_PLACEHOLDER && c.principal_from.is_some()),
                    "{c:#?}"
                );
                let scope = crate::model::resource_id::ResourceId::parse(&g.scope).unwrap();
                assert!(scope.is_storage_account() || g.scope.contains("/fileServices/default/fileshares/"), "{c:#?}");
                assert!(!g.scope.contains("/shares/"), "never the shares spelling: {c:#?}");
                assert_eq!(c.request.body["properties"]["principalType"], "ServicePrincipal");
                assert!(!c.security_posture_change);
            }
            plans.push(p);
        }
    }
    // Storage settings only with the flag, and then flagged.
    let fake = FakeArm::start(firewall.topology()).await;
    let run = diagnose(&fake).await;
    let plain = planners::plan_repair(&run.snapshot, &run.report.findings);
    assert!(plain.changes.iter().all(|c| !c.security_posture_change && c.kind == ChangeKind::RoleAssignment));
    assert!(plain.notes.iter().any(|n| n.contains("storage.trusted-services")), "{:?}", plain.notes);
    let flagged = planners::plan_repair_with(
        &run.snapshot,
        &run.report.findings,
        PlanOptions { include_security_posture_changes: true },
    );
    let posture: Vec<_> = flagged.changes.iter().filter(|c| c.security_posture_change).collect();
    assert_eq!(posture.len(), 1, "{}", crate::report::render_plan_table(&flagged));
    assert_eq!(posture[0].kind, ChangeKind::SetStorageTrustedServices);
    assert!(crate::report::render_plan_table(&flagged).contains("SECURITY POSTURE CHANGE"));
    // The wrong `shares` spelling is repaired at `fileshares`.
    let p = &plans[9];
    assert_eq!(p.changes.len(), 1);
    assert_eq!(p.changes[0].grant.as_ref().unwrap().scope, share_scope());
    // Ids are stable: the same snapshot gives the same plan (but for its time).
    let again = planners::plan_repair(&run.snapshot, &run.report.findings);
    assert_eq!(again.changes, plain.changes);
}

/// Every role assignment a repair sends is PUT under its deterministic name (from scope, principal and
/// role), so a run that is cut short and run again never makes a second assignment.
#[tokio::test]
async fn a_repair_puts_every_assignment_under_its_deterministic_name() {
    let fake = FakeArm::start(broken_with_keys().topology()).await;
    let (plan, report) = plan_and_apply(&fake, PlanKind::Repair, &fast_apply()).await;
    assert_eq!(report.unwrap().summary.failed, 0);
    let puts: Vec<_> = fake.request_log().into_iter().filter(|r| r.method == "PUT").collect();
    assert_eq!(puts.len(), plan.changes.len(), "{:?}", writes_in_log(&fake));
    for r in puts {
        let body = r.body.as_ref().unwrap();
        let name = r.path.rsplit('/').next().unwrap();
        let scope = r.path.split("/providers/Microsoft.Authorization/").next().unwrap();
        let role = body["properties"]["roleDefinitionId"].as_str().unwrap().rsplit('/').next().unwrap();
        let principal = PrincipalId::parse(body["properties"]["principalId"].as_str().unwrap()).unwrap();
        assert_eq!(name, assignment_name(scope, &principal, role));
    }
}

/// A plan's basis carries the fingerprint of its facts (that a saved plan loads back equal, basis and
/// all, is the integration tests' `plan_files_round_trip_and_a_stale_plan_is_refused`).
#[tokio::test]
async fn a_plans_fingerprint_is_its_facts() {
    let mut d = broken_with_keys();
    d.service.use_identity = false;
    let fake = FakeArm::start(d.topology()).await;
    let plan = plan_live(&fake, PlanKind::Repair).await;
    assert!(!plan.changes.is_empty(), "the broken deployment needs changes");
    assert_eq!(plan.basis.fingerprint, basis::fingerprint(&plan.basis.facts));
}
