//! The HTTP accept loop: HTTP/1.1 connections served by the routes of [`super::http`],
//! each with a time limit on reading a request's head, at most [`MAX_CONNECTIONS`] at once,
//! and a shutdown that waits [`SHUTDOWN_GRACE`] for requests under way and then closes
//! what is left.
//!
//! What it does not do: HTTP/2 or TLS (put a reverse proxy in front for those).

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

/// Time a client has to send a request's head (the request line and headers): a client
/// that trickles its head in cannot hold a connection longer.
pub(crate) const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections served at once; more are closed as soon as they are accepted.
pub(crate) const MAX_CONNECTIONS: usize = 1024;
/// Time requests under way have to finish once shutdown begins.
pub(crate) const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Serve `app` on `listener` until `stop` turns true; then stop accepting, let the requests
/// under way finish for up to [`SHUTDOWN_GRACE`], and close every connection left. When
/// this returns no connection holds `app` any more.
pub(crate) async fn serve(listener: TcpListener, app: Router, mut stop: watch::Receiver<bool>) {
    let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let graceful = GracefulShutdown::new();
    let mut connections = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        tracing::warn!(error = %e, "HTTP accept failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
                    tracing::warn!(%peer, "HTTP connection closed: {MAX_CONNECTIONS} already open");
                    continue;
                };
                let connection = http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(HEADER_READ_TIMEOUT)
                    .serve_connection(TokioIo::new(stream), TowerToHyperService::new(app.clone()));
                let connection = graceful.watch(connection);
                connections.spawn(async move {
                    if let Err(e) = connection.await {
                        tracing::debug!(%peer, error = %e, "HTTP connection ended");
                    }
                    drop(permit);
                });
            }
            Some(_) = connections.join_next() => {}
            () = stopped(&mut stop) => break,
        }
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            open = connections.len(),
            "HTTP connections still busy {SHUTDOWN_GRACE:?} after shutdown began: closed"
        );
    }
    connections.abort_all();
    while connections.join_next().await.is_some() {}
}

/// Resolves once `stop` is true (its value not held across an await).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}
