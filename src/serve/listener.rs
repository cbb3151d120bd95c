//! The HTTP listener: hyper's HTTP/1 connections with the limits `axum::serve` leaves out.
//! A connection must send a request's headers within the header timeout — which is also
//! how long it may sit idle between requests (hyper starts that timer whenever it waits
//! for a request head) — and at most `connections` are open at once; further ones wait
//! in the kernel's backlog until one closes. Bodies and handlers are bounded by the
//! router's own timeout layers (`api::router`). HTTP/1 only: the server is meant to sit
//! behind a TLS-terminating reverse proxy (docs/deploy.md).

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

/// What the listener enforces.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub header_timeout: Duration,
    pub connections: usize,
}

impl Limits {
    pub fn of(config: &super::config::Limits) -> Limits {
        Limits {
            header_timeout: Duration::from_secs(config.header_timeout_seconds),
            connections: config.connections,
        }
    }
}

/// How long a stopping server waits for requests in flight before it lets them go.
const DRAIN: Duration = Duration::from_secs(10);

/// Serves `app` on `listener` until `stop` says so; then stops accepting, lets the requests
/// in flight finish (for at most `DRAIN`) and returns.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
) {
    let open = Arc::new(Semaphore::new(limits.connections));
    let graceful = GracefulShutdown::new();
    loop {
        let permit = tokio::select! {
            permit = open.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
            _ = stop.changed() => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    // Out of file descriptors, say: wait instead of spinning.
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = stop.changed() => break,
        };
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_timeout);
        let connection =
            builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(app.clone()));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            // A client that goes away, or a timeout, ends the connection: nothing to report.
            let _ = connection.await;
            drop(permit);
        });
    }
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(DRAIN) => {
            tracing::warn!("requests still in flight after {DRAIN:?} are dropped");
        }
    }
}
