//! Relays a client's WebSocket to its meeting's home node (see `cluster.rs`): frames pass
//! through unchanged both ways, and so does the close. The home node admits the client as if it
//! had come directly; the relay marks the request so the home node serves it whatever its own
//! view of the cluster, which stops a request from bouncing between nodes whose views differ.

use axum::extract::ws::{self, CloseFrame, WebSocket, WebSocketUpgrade};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{self, Message};

use crate::ending::Ending;
use crate::ws::{self as front, MAX_MESSAGE};

/// Marks a join relayed by another node.
pub const RELAYED_HEADER: &str = "x-carillon-relayed";

/// How long the home node gets to accept the relayed upgrade.
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// How long a frame may wait for a client that does not read before the relay gives up on it
/// (the home node drops such a session on its side too).
const SEND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Connects to the home node at `node_url` first, so that a home that cannot be reached is
/// answered 503 at the upgrade (the SDK retries the join), then relays. `guard` is held as long
/// as the relayed session lasts.
pub async fn relay<G: Send + 'static>(
    upgrade: WebSocketUpgrade,
    node_url: &str,
    path_and_query: &str,
    headers: &HeaderMap,
    guard: G,
) -> Response {
    let target = node_url
        .replacen("http://", "ws://", 1)
        .replacen("https://", "wss://", 1);
    let url = format!("{}{path_and_query}", target.trim_end_matches('/'));
    let Ok(mut request) = url.into_client_request() else {
        tracing::warn!(node_url, "relay: the home node's URL is unusable");
        return (StatusCode::SERVICE_UNAVAILABLE, "try again").into_response();
    };
    if let Some(protocols) = headers.get(header::SEC_WEBSOCKET_PROTOCOL) {
        request
            .headers_mut()
            .insert(header::SEC_WEBSOCKET_PROTOCOL, protocols.clone());
    }
    request
        .headers_mut()
        .insert(RELAYED_HEADER, HeaderValue::from_static("1"));
    let mut config = tungstenite::protocol::WebSocketConfig::default();
    config.max_message_size = Some(MAX_MESSAGE);
    config.max_frame_size = Some(MAX_MESSAGE);
    let connect = tokio_tungstenite::connect_async_with_config(request, Some(config), true);
    let upstream = match tokio::time::timeout(CONNECT_TIMEOUT, connect).await {
        Ok(Ok((upstream, _))) => upstream,
        Ok(Err(e)) => {
            tracing::warn!(node_url, error = %e, "relay: the home node refused or is away");
            return (StatusCode::SERVICE_UNAVAILABLE, "try again").into_response();
        }
        Err(_) => {
            tracing::warn!(node_url, "relay: the home node did not answer in time");
            return (StatusCode::SERVICE_UNAVAILABLE, "try again").into_response();
        }
    };
    front::configured(upgrade).on_upgrade(move |client| async move {
        pipe(client, upstream).await;
        drop(guard);
    })
}

type Upstream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn pipe(mut client: WebSocket, upstream: Upstream) {
    let (mut to_home, mut from_home) = upstream.split();
    loop {
        tokio::select! {
            received = client.recv() => match received {
                Some(Ok(ws::Message::Binary(bytes))) => {
                    if to_home.send(Message::Binary(bytes)).await.is_err() {
                        break going_away(&mut client).await;
                    }
                }
                Some(Ok(ws::Message::Close(frame))) => {
                    let frame = frame.map(|f| tungstenite::protocol::CloseFrame {
                        code: CloseCode::from(f.code),
                        reason: f.reason.as_str().into(),
                    });
                    let _ = to_home.send(Message::Close(frame)).await;
                    break;
                }
                Some(Ok(ws::Message::Text(text))) => {
                    if to_home.send(Message::Text(text.as_str().into())).await.is_err() {
                        break going_away(&mut client).await;
                    }
                }
                Some(Ok(_)) => {}
                // The client is gone: the home node sees the same, a dropped connection.
                Some(Err(_)) | None => break,
            },
            received = from_home.next() => match received {
                Some(Ok(Message::Binary(bytes))) => {
                    let sent = tokio::time::timeout(SEND_TIMEOUT, client.send(ws::Message::Binary(bytes)));
                    if !matches!(sent.await, Ok(Ok(()))) {
                        break;
                    }
                }
                Some(Ok(Message::Close(frame))) => {
                    let frame = frame.map(|f| CloseFrame {
                        code: f.code.into(),
                        reason: f.reason.as_str().into(),
                    });
                    let _ = tokio::time::timeout(SEND_TIMEOUT, client.send(ws::Message::Close(frame))).await;
                    break;
                }
                Some(Ok(_)) => {}
                // The home node is gone: the client must reconnect, and will find the new home.
                Some(Err(_)) | None => break going_away(&mut client).await,
            },
        }
    }
}

async fn going_away(client: &mut WebSocket) {
    let ending = Ending::GOING_AWAY;
    let close = client.send(ws::Message::Close(Some(CloseFrame {
        code: ending.close_code,
        reason: ending.reason.into(),
    })));
    let _ = tokio::time::timeout(SEND_TIMEOUT, close).await;
}
