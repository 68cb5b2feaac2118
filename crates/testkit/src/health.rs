//! A service's health endpoint with a programmable answer: `GET /<name>` answers the status
//! and body set for `name` (200 `ok` until told otherwise), and counts the requests. Tests
//! make a deployed service unhealthy with [`HealthEndpoint::set`]`(name, 503, ...)`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;

type Answers = Arc<Mutex<HashMap<String, (u16, String, usize)>>>;

/// A running health endpoint on a free loopback port, stopped on drop.
pub struct HealthEndpoint {
    url: String,
    answers: Answers,
    _runtime: tokio::runtime::Runtime,
}

impl HealthEndpoint {
    pub fn start() -> HealthEndpoint {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("health-endpoint")
            .enable_all()
            .build()
            .expect("build the health endpoint's runtime");
        let listener = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.set_nonblocking(true).map(|()| listener))
            .expect("bind a loopback port for the health endpoint");
        let url = format!(
            "http://{}",
            listener
                .local_addr()
                .expect("local address of the health endpoint")
        );
        let answers: Answers = Arc::default();
        let app = Router::new()
            .route("/{name}", get(answer))
            .with_state(answers.clone());
        runtime.spawn(async move {
            let listener = tokio::net::TcpListener::from_std(listener)
                .expect("hand the health endpoint's port to tokio");
            let _ = axum::serve(listener, app).await;
        });
        HealthEndpoint {
            url,
            answers,
            _runtime: runtime,
        }
    }

    /// The health URL of `name`.
    pub fn url(&self, name: &str) -> String {
        format!("{}/{name}", self.url)
    }

    /// From now on `name` answers `status` with `body`.
    pub fn set(&self, name: &str, status: u16, body: &str) {
        let mut answers = self.answers.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = answers
            .entry(name.to_owned())
            .or_insert((200, "ok".into(), 0));
        entry.0 = status;
        entry.1 = body.to_owned();
    }

    /// How many requests `name` got.
    pub fn hits(&self, name: &str) -> usize {
        let answers = self.answers.lock().unwrap_or_else(PoisonError::into_inner);
        answers.get(name).map_or(0, |entry| entry.2)
    }
}

async fn answer(Path(name): Path<String>, State(answers): State<Answers>) -> (StatusCode, String) {
    let mut answers = answers.lock().unwrap_or_else(PoisonError::into_inner);
    let entry = answers.entry(name).or_insert((200, "ok".into(), 0));
    entry.2 += 1;
    (
        StatusCode::from_u16(entry.0).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        entry.1.clone(),
    )
}
