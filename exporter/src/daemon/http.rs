//! The metrics endpoint: `GET /metrics` answers the registry in the Prometheus text
//! format (0.0.4). `tiny_http` serves it: a small maintained synchronous server, enough
//! for a scrape every few seconds, without an async runtime.

use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;

use prometheus_client::encoding::prometheus_text;
use prometheus_client::registry::Registry;
use tiny_http::{Header, Method, Response, Server};

/// A running endpoint; dropping it stops the server thread.
pub struct MetricsEndpoint {
    server: Arc<Server>,
    thread: Option<JoinHandle<()>>,
}

impl MetricsEndpoint {
    /// Listens on `address` (the error says why not, e.g. the port is in use) and serves
    /// `registry` on a thread of its own.
    pub fn start(address: SocketAddr, registry: Registry) -> Result<MetricsEndpoint, String> {
        let server = Server::http(address)
            .map(Arc::new)
            .map_err(|error| format!("cannot listen on {address}: {error}"))?;
        let serving = Arc::clone(&server);
        let thread = std::thread::Builder::new()
            .name("metrics-http".into())
            .spawn(move || serve(&serving, &registry))
            .map_err(|error| format!("cannot start the metrics thread: {error}"))?;
        Ok(MetricsEndpoint {
            server,
            thread: Some(thread),
        })
    }

    /// The address it listens on (the port, when 0 was asked for).
    pub fn address(&self) -> Option<SocketAddr> {
        self.server.server_addr().to_ip()
    }
}

impl Drop for MetricsEndpoint {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(server: &Server, registry: &Registry) {
    for request in server.incoming_requests() {
        let path = request.url().split('?').next().unwrap_or_default();
        let response = match (request.method(), path) {
            (Method::Get, "/metrics") => {
                let mut text = String::new();
                match prometheus_text::encode(&mut text, registry) {
                    Ok(()) => {
                        let response = Response::from_string(text);
                        // Constant ASCII: never refused.
                        match Header::from_bytes(
                            &b"Content-Type"[..],
                            prometheus_text::CONTENT_TYPE.as_bytes(),
                        ) {
                            Ok(header) => response.with_header(header),
                            Err(()) => response,
                        }
                    }
                    Err(_) => {
                        Response::from_string("cannot encode the metrics\n").with_status_code(500)
                    }
                }
            }
            (Method::Get, "/") => Response::from_string("ioam-exporter: metrics at /metrics\n"),
            (Method::Get, _) => {
                Response::from_string("not found: try /metrics\n").with_status_code(404)
            }
            _ => Response::from_string("only GET\n").with_status_code(405),
        };
        if let Err(error) = request.respond(response) {
            log::debug!("metrics: cannot answer a request: {error}");
        }
    }
}
