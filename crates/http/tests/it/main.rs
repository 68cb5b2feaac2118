//! `retry::send` against a local server that answers from a script, and against hostile
//! servers (`hostile`).

mod hostile;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::any;
use gantry_http::retry::{Idempotency, Reply, RetryPolicy, send};

/// A scripted answer: status and an optional `retry-after` value.
type Answer = (u16, Option<&'static str>);

/// Answers each request with the next scripted `(status, retry-after)`, repeating the last one,
/// and counts the requests it saw.
#[derive(Clone)]
struct Script {
    answers: Arc<Mutex<VecDeque<Answer>>>,
    seen: Arc<Mutex<u32>>,
}

impl Script {
    async fn serve(answers: &[Answer]) -> (String, Script) {
        let script = Script {
            answers: Arc::new(Mutex::new(answers.iter().copied().collect())),
            seen: Arc::new(Mutex::new(0)),
        };
        let state = script.clone();
        let app = Router::new().route(
            "/",
            any(move || {
                let state = state.clone();
                async move {
                    *state.seen.lock().unwrap() += 1;
                    let mut answers = state.answers.lock().unwrap();
                    let (status, retry_after) = if answers.len() > 1 {
                        answers.pop_front().unwrap()
                    } else {
                        answers[0]
                    };
                    let mut headers = HeaderMap::new();
                    if let Some(value) = retry_after {
                        headers.insert("retry-after", value.parse().unwrap());
                    }
                    (StatusCode::from_u16(status).unwrap(), headers, "answer")
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (url, script)
    }

    fn seen(&self) -> u32 {
        *self.seen.lock().unwrap()
    }
}

/// Millisecond waits so the tests run at once.
pub fn quick() -> RetryPolicy {
    RetryPolicy {
        retries: 3,
        min_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(4),
        rate_limit_floor: Duration::from_millis(2),
        max_wait: Duration::from_secs(5),
        ..RetryPolicy::default()
    }
}

/// A loopback port nothing listens on: a listener's, bound then dropped.
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

pub fn client() -> reqwest::Client {
    gantry_http::client(gantry_http::user_agent!()).unwrap()
}

/// Sends one request (GET when idempotent, POST when not) to a server answering `answers`;
/// returns the reply and how many requests the server saw.
async fn run(answers: &[Answer], idempotency: Idempotency) -> (Reply, u32) {
    let (url, script) = Script::serve(answers).await;
    let client = client();
    let reply = send(idempotency, &quick(), || match idempotency {
        Idempotency::Idempotent => client.get(&url),
        Idempotency::NotIdempotent => client.post(&url),
    })
    .await
    .unwrap();
    (reply, script.seen())
}

#[tokio::test]
async fn idempotent_requests_outlast_server_errors() {
    let (reply, seen) = run(
        &[(503, None), (502, None), (200, None)],
        Idempotency::Idempotent,
    )
    .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.text(), "answer");
    assert_eq!(reply.attempts, 3);
    assert_eq!(seen, 3);
}

#[tokio::test]
async fn non_idempotent_requests_are_not_repeated_after_server_errors() {
    let (reply, seen) = run(&[(500, None), (200, None)], Idempotency::NotIdempotent).await;
    assert_eq!(reply.status, 500);
    assert_eq!(reply.attempts, 1);
    assert_eq!(seen, 1);
}

#[tokio::test]
async fn rate_limits_are_waited_out_even_for_non_idempotent_requests() {
    let (reply, seen) = run(&[(429, Some("0")), (200, None)], Idempotency::NotIdempotent).await;
    assert_eq!(reply.status, 200);
    assert_eq!(seen, 2);
}

#[tokio::test]
async fn a_wait_beyond_max_wait_returns_the_refusal() {
    let (reply, seen) = run(&[(429, Some("3600")), (200, None)], Idempotency::Idempotent).await;
    assert_eq!(reply.status, 429);
    assert_eq!(seen, 1);
}

#[tokio::test]
async fn retries_stop_when_the_budget_is_spent() {
    let (reply, seen) = run(&[(503, None)], Idempotency::Idempotent).await;
    assert_eq!(reply.status, 503);
    assert_eq!(reply.attempts, 4, "one attempt plus three retries");
    assert_eq!(seen, 4);
}

#[tokio::test]
async fn final_answers_are_returned_at_once() {
    let (reply, seen) = run(&[(404, None), (200, None)], Idempotency::Idempotent).await;
    assert_eq!(reply.status, 404);
    assert_eq!(seen, 1);
}

#[tokio::test]
async fn no_answer_is_an_error_naming_the_request_without_credentials() {
    let port = closed_port();
    let url = format!("http://robot:hunter2@127.0.0.1:{port}/deploy");
    let client = client();
    let err = send(Idempotency::NotIdempotent, &quick(), || client.post(&url))
        .await
        .expect_err("nothing listens");
    assert!(err.is_connect());
    let shown = format!("{err} / {err:?}");
    assert!(
        shown.contains(&format!("POST http://127.0.0.1:{port}/deploy")),
        "{shown}"
    );
    assert!(
        !shown.contains("hunter2") && !shown.contains("robot"),
        "{shown}"
    );
}
