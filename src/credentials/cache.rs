//! A token cache in front of any credential: one token per scope, refreshed shortly before it expires,
//! one refresh at a time per scope.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;

use super::{AccessToken, TokenCredential};
use crate::error::Result;
use crate::sync::LockUnpoisoned;

/// Refresh a cached token when less than this remains.
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);

/// How long a token whose expiry is not known is reused.
const UNKNOWN_EXPIRY_REUSE: chrono::Duration = chrono::Duration::minutes(30);

/// When a refresh fails, a cached token that is still valid for this long is returned instead.
const FALLBACK_MIN_REMAINING: chrono::Duration = chrono::Duration::seconds(30);

struct Cached {
    token: AccessToken,
    refresh_at: DateTime<Utc>,
}

#[derive(Default)]
struct Slot {
    cached: Mutex<Option<Cached>>,
    /// Held while the token for this scope is fetched: callers that find no fresh token queue here, and
    /// the first one fetches while the others wait and then take its token.
    refresh: tokio::sync::Mutex<()>,
}

impl Slot {
    fn fresh(&self, now: DateTime<Utc>) -> Option<AccessToken> {
        let guard = self.cached.lock_unpoisoned();
        guard.as_ref().filter(|c| now < c.refresh_at).map(|c| c.token.clone())
    }

    /// A cached token still usable (known expiry, at least 30 s left), for when a refresh fails.
    fn still_valid(&self, now: DateTime<Utc>) -> Option<AccessToken> {
        let guard = self.cached.lock_unpoisoned();
        guard
            .as_ref()
            .filter(|c| c.token.expires_on.is_some_and(|exp| exp > now + FALLBACK_MIN_REMAINING))
            .map(|c| c.token.clone())
    }

    fn store(&self, cached: Option<Cached>) {
        *self.cached.lock_unpoisoned() = cached;
    }
}

/// Caches the tokens of another credential. Cheap to share; all methods take `&self`.
pub struct CachingCredential {
    inner: Arc<dyn TokenCredential>,
    margin: chrono::Duration,
    slots: Mutex<HashMap<String, Arc<Slot>>>,
}

impl CachingCredential {
    #[cfg(test)]
    pub fn new(inner: impl TokenCredential + 'static) -> Self {
        Self::from_arc(Arc::new(inner))
    }

    pub fn from_arc(inner: Arc<dyn TokenCredential>) -> Self {
        CachingCredential {
            inner,
            margin: chrono::Duration::from_std(DEFAULT_REFRESH_MARGIN).expect("five minutes fit"),
            slots: Mutex::new(HashMap::new()),
        }
    }

    /// Refresh when less than `margin` remains (default five minutes).
    #[cfg(test)]
    pub fn with_refresh_margin(mut self, margin: Duration) -> Self {
        self.margin = chrono::Duration::from_std(margin).unwrap_or(chrono::Duration::days(1));
        self
    }

    fn slot(&self, scope: &str) -> Arc<Slot> {
        let mut slots = self.slots.lock_unpoisoned();
        slots.entry(scope.to_string()).or_default().clone()
    }

    async fn token(&self, scope: &str) -> Result<AccessToken> {
        let slot = self.slot(scope);
        if let Some(t) = slot.fresh(Utc::now()) {
            return Ok(t);
        }
        let _refreshing = slot.refresh.lock().await;
        // Whoever held the lock before may have just refreshed it.
        if let Some(t) = slot.fresh(Utc::now()) {
            return Ok(t);
        }
        match self.inner.get_token(scope).await {
            Ok(token) => {
                let now = Utc::now();
                let refresh_at = match token.expires_on {
                    Some(exp) => exp - self.margin,
                    None => now + UNKNOWN_EXPIRY_REUSE,
                };
                slot.store(Some(Cached { token: token.clone(), refresh_at }));
                Ok(token)
            }
            Err(e) => match slot.still_valid(Utc::now()) {
                Some(t) => Ok(t),
                None => Err(e),
            },
        }
    }
}

impl fmt::Debug for CachingCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scopes: Vec<String> = self.slots.lock().map(|s| s.keys().cloned().collect()).unwrap_or_default();
        f.debug_struct("CachingCredential")
            .field("inner", &self.inner)
            .field("refresh_margin_seconds", &self.margin.num_seconds())
            .field("scopes", &scopes)
            .finish()
    }
}

impl TokenCredential for CachingCredential {
    fn get_token<'a>(&'a self, scope: &'a str) -> BoxFuture<'a, Result<AccessToken>> {
        Box::pin(self.token(scope))
    }

    fn name(&self) -> &'static str {
        self.inner.name()
    }

    /// Drop the cached token for `scope` (after a 401), and pass the call on.
    fn invalidate(&self, scope: &str) {
        let slot = {
            let slots = self.slots.lock_unpoisoned();
            slots.get(scope).cloned()
        };
        if let Some(slot) = slot {
            slot.store(None);
        }
        self.inner.invalidate(scope);
    }
}
