//! Issue 7: the ARM client never sends the token to another host (redirects, nextLinks, operation URLs)
//! and refuses responses larger than its limit instead of buffering them.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::arm::{ArmClient, ClientOptions};
use crate::cloud::Cloud;
use crate::credentials::StaticTokenCredential;
use crate::events::NullSink;
use crate::{ErrorKind, Secret};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

const TOKEN: &str = "sentinel-token-limits-0b1c";

/// A server on another loopback address that counts what reaches it.
async fn witness() -> (String, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    let app = Router::new().fallback(move |headers: HeaderMap| {
        let h = h.clone();
        async move {
            h.fetch_add(1, Ordering::SeqCst);
            assert!(headers.get("authorization").is_none(), "the token reached another host");
            "{}"
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.2:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, hits)
}

async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

fn client(arm: &str, max_response_bytes: usize) -> ArmClient {
    let cloud = Cloud::resolve(None, Some(arm), None).unwrap();
    let credential = Arc::new(StaticTokenCredential::new(Secret::new(TOKEN)).unwrap());
    let options = ClientOptions { max_retries: 0, max_response_bytes, ..ClientOptions::default() };
    ArmClient::new(cloud, credential, options, Arc::new(NullSink), Default::default()).unwrap()
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let (other, hits) = witness().await;
    let target = format!("{other}/stolen");
    let arm = serve(Router::new().route(
        "/x",
        get(move || {
            let target = target.clone();
            async move { (StatusCode::TEMPORARY_REDIRECT, [("location", target)]).into_response() }
        }),
    ))
    .await;
    let e = client(&arm, 1 << 20).get("/x", "2022-09-01").await.unwrap_err();
    assert_eq!(hits.load(Ordering::SeqCst), 0, "the redirect was followed");
    assert!(!e.to_string().contains(TOKEN));
}

#[tokio::test]
async fn a_next_link_to_another_host_is_refused() {
    let (other, hits) = witness().await;
    let link = format!("{other}/page2");
    let arm = serve(Router::new().route(
        "/list",
        get(move || {
            let link = link.clone();
            async move { axum::Json(serde_json::json!({"value": [{"id": "a"}], "nextLink": link})) }
        }),
    ))
    .await;
    let e = client(&arm, 1 << 20).list("/list", "2022-09-01").await.unwrap_err();
    assert!(e.to_string().contains("another host"), "{e}");
    assert_eq!(hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn an_operation_url_on_another_host_is_refused() {
    let (other, hits) = witness().await;
    let arm = serve(Router::new()).await;
    let e = client(&arm, 1 << 20).get_absolute(&format!("{other}/operations/1")).await.unwrap_err();
    assert!(e.to_string().contains("another host"), "{e}");
    assert_eq!(hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn oversized_responses_are_refused_not_buffered() {
    let big = format!("{{\"value\": \"{}\"}}", "x".repeat(200_000));
    let chunked = big.clone();
    let arm = serve(Router::new().route("/big", get(move || std::future::ready(big.clone()))).route(
        "/chunked",
        get(move || {
            // No Content-Length: the limit must hold while streaming.
            let body = chunked.clone();
            let stream = futures::stream::iter(
                body.into_bytes().chunks(4096).map(|c| Ok::<_, std::io::Error>(c.to_vec())).collect::<Vec<_>>(),
            );
            std::future::ready(axum::body::Body::from_stream(stream))
        }),
    ))
    .await;
    let c = client(&arm, 64 * 1024);
    for path in ["/big", "/chunked"] {
        let e = c.get(path, "2022-09-01").await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Arm, "{path}: {e}");
        assert!(e.to_string().contains("limit"), "{path}: {e}");
    }
    // Under the limit, the same client reads it.
    assert!(client(&arm, 1 << 20).get("/big", "2022-09-01").await.is_ok());
}

/// Issue 21: an endpoint nothing listens on is tried three times at most (not the whole back-off of a
/// transient failure, 36 s on a refused loopback port before), and the error names the endpoint.
#[tokio::test]
async fn a_refused_endpoint_fails_after_a_few_connection_attempts_naming_it() {
    // A port that was just free: nothing listens on it.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let arm = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let cloud = Cloud::resolve(None, Some(&arm), None).unwrap();
    let credential = Arc::new(StaticTokenCredential::new(Secret::new(TOKEN)).unwrap());
    let options = ClientOptions { retry_base_delay: std::time::Duration::from_millis(10), ..ClientOptions::default() };
    let c = ArmClient::new(cloud, credential, options, Arc::new(NullSink), Default::default()).unwrap();
    let e = c.get("/subscriptions", "2022-12-01").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Network);
    assert!(e.to_string().contains(&arm), "{e}");
    assert_eq!(c.stats().attempts(), 3, "connection attempts");
    assert_eq!(c.stats().retries(), 2);
}

/// A client's Debug names its endpoint and nothing it holds: not the token it was built with, nor the
/// credential (the secret sweep of the public face cannot reach the client, so it is held here).
#[tokio::test]
async fn a_clients_debug_shows_its_endpoint_and_never_its_token() {
    let c = client("http://127.0.0.1:9", 1 << 20);
    let shown = format!("{c:?} {c:#?}");
    assert!(shown.contains("127.0.0.1:9"), "{shown}");
    assert!(!shown.contains(TOKEN), "{shown}");
}
