//! Judging one role a File Sync identity needs (the cloud endpoint and server endpoint checks share it).

use std::fmt::Write as _;

use crate::model::check_id::CheckId;
use crate::model::findings::{Finding, Status, Text};
use crate::model::index::{Index, RoleState};
use crate::model::phrases::{capitalize, describe_scope, grant_command, push_capitalized, push_scope};
use crate::model::resource_id::ResourceId;
use crate::model::roles::BuiltInRole;

/// Judge one (principal, role, scope). `required` says whether its absence breaks sync now (fail) or only
/// after a switch that has not happened yet (warning).
#[allow(clippy::too_many_arguments)]
pub(crate) fn judge(
    ix: &Index,
    check: CheckId,
    resource_id: &ResourceId,
    resource_name: &Text,
    who: &str,
    principal: &str,
    role: BuiltInRole,
    scope: &ResourceId,
    account: &ResourceId,
    required: bool,
    codes: &[&'static str],
) -> Finding {
    let subscription = account.subscription_id().unwrap_or_default();
    let f = Finding::new(check, Status::Pass, resource_id, resource_name, Text::default())
        .principal(principal)
        .role(ix.role_definition_id(subscription, role))
        .scope(scope);
    match ix.role_state(principal, role.guid, scope, account) {
        RoleState::Effective(ra) => {
            // The most common finding of a large estate: written in one go.
            let mut message = String::with_capacity(who.len() + role.name.len() + 160);
            push_capitalized(&mut message, who);
            let _ = write!(message, " holds {} on ", role.name);
            push_scope(&mut message, scope);
            message.push_str(" (assigned at ");
            push_scope(&mut message, &ra.scope);
            message.push_str(").");
            Finding {
                message: message.into(),
                ..f.evidence_text("assignmentId", &ra.id).evidence_text("assignmentScope", &ra.scope)
            }
        }
        RoleState::NotRead => Finding {
            status: Status::Unknown,
            message: format!(
                "Could not tell whether {who} holds {}: the storage account's role assignments could not be read.",
                role.name
            )
            .into(),
            ..f
        }
        .because("role assignments of the storage account were not read (see collection.read)"),
        state => {
            let wrong = if let RoleState::WrongShareScope(ra) = state { Some(ra) } else { None };
            let mut msg = if required {
                format!(
                    "{} lacks {} on {}; sync fails with {}.",
                    capitalize(who),
                    role.name,
                    describe_scope(scope),
                    codes.join(" / ")
                )
            } else {
                format!(
                    "{} lacks {} on {}; it will be needed once identity mode is switched on.",
                    capitalize(who),
                    role.name,
                    describe_scope(scope)
                )
            };
            if let Some(ra) = wrong {
                msg.push_str(&format!(
                    " An assignment exists at the share's ARM resource id ({}), but File Sync only honours the '.../fileServices/default/fileshares/<share>' scope.",
                    ra.scope
                ));
            }
            let mut f = Finding {
                status: if required { Status::Fail } else { Status::Warning },
                message: msg.into(),
                ..f.codes(codes)
            };
            if let Some(ra) = wrong {
                f = f.evidence("wrongScopeAssignmentId", &ra.id);
            }
            f.fix(
                format!(
                    "Assign {} to {who} at {} (filesync-identity repair grants every missing role).",
                    role.name,
                    describe_scope(scope)
                ),
                Some(grant_command(principal, role, scope.as_str())),
            )
        }
    }
}

/// Add a sentence to a finding's remediation.
pub(crate) fn append_fix(f: Finding, extra: &str) -> Finding {
    let remediation = match &f.remediation {
        Some(r) => format!("{r} {extra}"),
        None => extra.to_string(),
    };
    Finding { remediation: Some(remediation.into()), ..f }
}
