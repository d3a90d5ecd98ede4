//! Property tests (issue 7): resource-id parsing and scope containment behave for every input.

use filesync_identity::model::resource_id::{
    file_share_scope, parse_share_scope, share_resource_id, ResourceId, ShareScopeSpelling,
};
use proptest::prelude::*;

fn name() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9][a-zA-Z0-9._-]{0,20}".prop_filter("not dots only", |s| s != "." && s != "..")
}

fn guid() -> impl Strategy<Value = String> {
    any::<u128>().prop_map(|n| uuid::Uuid::from_u128(n).to_string())
}

fn flip_case(s: &str, mask: u64) -> String {
    s.chars()
        .enumerate()
        .map(|(i, c)| if mask >> (i % 64) & 1 == 1 { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn account_ids_round_trip(sub in guid(), rg in name(), sa in name(), slash in any::<bool>()) {
        let text = format!("/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Storage/storageAccounts/{sa}{}", if slash { "/" } else { "" });
        let id = ResourceId::parse(&text).unwrap();
        prop_assert!(id.is_storage_account());
        prop_assert_eq!(id.subscription_id(), Some(sub.as_str()));
        prop_assert_eq!(id.resource_group(), Some(rg.as_str()));
        prop_assert_eq!(id.name(), Some(sa.as_str()));
        prop_assert!(!id.as_str().ends_with('/'));
        let again = ResourceId::parse(id.as_str()).unwrap();
        prop_assert_eq!(&again, &id);
    }

    #[test]
    fn equality_and_containment_ignore_case(sub in guid(), rg in name(), sa in name(), share in name(), mask in any::<u64>()) {
        let account = ResourceId::parse(&format!("/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Storage/storageAccounts/{sa}")).unwrap();
        let shouting = ResourceId::parse(&flip_case(account.as_str(), mask)).unwrap();
        prop_assert_eq!(&account, &shouting);
        let scope = file_share_scope(&account, &share).unwrap();
        let group = ResourceId::parse(&flip_case(&format!("/subscriptions/{sub}/resourceGroups/{rg}"), mask)).unwrap();
        let subscription = ResourceId::parse(&format!("/subscriptions/{sub}")).unwrap();
        prop_assert!(shouting.contains(&scope));
        prop_assert!(group.contains(&scope) && group.contains(&account));
        prop_assert!(subscription.contains(&group));
        prop_assert!(!scope.contains(&account), "a share scope does not contain its account");
        prop_assert!(!scope.contains(&group));
    }

    #[test]
    fn shares_and_fileshares_never_contain_each_other(sub in guid(), rg in name(), sa in name(), share in name()) {
        let account = ResourceId::parse(&format!("/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Storage/storageAccounts/{sa}")).unwrap();
        let good = file_share_scope(&account, &share).unwrap();
        let wrong = share_resource_id(&account, &share).unwrap();
        prop_assert!(!good.contains(&wrong) && !wrong.contains(&good));
        prop_assert_eq!(parse_share_scope(&good).unwrap().2, ShareScopeSpelling::FileShares);
        prop_assert_eq!(parse_share_scope(&wrong).unwrap().2, ShareScopeSpelling::Shares);
        prop_assert_eq!(parse_share_scope(&wrong).unwrap().1, share);
    }

    #[test]
    fn a_name_is_never_contained_by_its_prefix(sub in guid(), rg in name(), extra in "[a-z0-9]{1,5}") {
        let short = ResourceId::parse(&format!("/subscriptions/{sub}/resourceGroups/{rg}")).unwrap();
        let long = ResourceId::parse(&format!("/subscriptions/{sub}/resourceGroups/{rg}{extra}")).unwrap();
        prop_assert!(!short.contains(&long));
    }

    #[test]
    fn parsing_never_panics_and_never_lets_url_syntax_through(s in "\\PC{0,80}") {
        if let Ok(id) = ResourceId::parse(&s) {
            for bad in ['?', '#', '%', '\\', ' ', ':', '\n'] {
                prop_assert!(!id.as_str().contains(bad), "{:?} slipped through in {:?}", bad, id.as_str());
            }
            prop_assert!(!id.segments().iter().any(|seg| seg == ".." || seg == "."));
        }
    }

    #[test]
    fn injected_names_are_refused(sub in guid(), good in name(), bad in "[/?#%\\\\ :]") {
        let rg = format!("{good}{bad}x");
        let r = filesync_identity::model::resource_id::storage_sync_service_id(&sub, &rg, "svc");
        prop_assert!(r.is_err(), "{} accepted", rg);
    }
}
