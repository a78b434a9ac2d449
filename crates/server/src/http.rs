//! HTTP routes: the WebSocket endpoint, health and readiness, and the web
//! client (every other path, see [`web_client`]).

mod web_client;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::serve::ListenerExt;
use fastwebsockets::upgrade::IncomingUpgrade;
use tchatche_hub::HubHandle;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

/// What every route may use.
#[derive(Clone)]
pub(crate) struct AppState {
    pub hub: HubHandle,
    /// One permit per open WebSocket connection.
    pub connections: Arc<Semaphore>,
    pub limits: tchatche_ws::FrameLimits,
}

pub(crate) fn router(state: AppState) -> Router {
    Router::new()
        .route("/ws", get(websocket))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .fallback(web_client::serve)
        .with_state(state)
}

pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    mut stopped: watch::Receiver<bool>,
) -> std::io::Result<()> {
    // Chat frames are small and latency matters: no Nagle delay.
    let listener = listener.tap_io(|stream| {
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "could not set TCP_NODELAY");
        }
    });
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        let _ = stopped.wait_for(|stop| *stop).await;
    })
    .await
}

async fn websocket(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    upgrade: IncomingUpgrade,
) -> Response {
    let Ok(permit) = Arc::clone(&state.connections).try_acquire_owned() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "server_full: the server is at its connection limit\n",
        )
            .into_response();
    };
    let (response, socket) = match upgrade.upgrade() {
        Ok(upgraded) => upgraded,
        Err(error) => {
            return (
                StatusCode::BAD_REQUEST,
                format!("websocket upgrade refused: {error}\n"),
            )
                .into_response();
        }
    };
    tokio::spawn(tchatche_ws::serve(
        state.hub,
        socket,
        peer,
        state.limits,
        permit,
    ));
    response.into_response()
}

/// Alive: the process answers.
async fn healthz() -> &'static str {
    "ok\n"
}

/// Ready: the hub is running and takes connections.
async fn readyz(State(state): State<AppState>) -> Response {
    if state.hub.is_running() {
        (StatusCode::OK, "ready\n").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "hub stopped\n").into_response()
    }
}
