//! Servers that answer in ways meant to hurt: a body of 800 MB, one that drips a byte at a
//! time, connections refused, rate-limit headers beyond any clock. Every call ends, in time,
//! with an answer or an error, and never reads more than its limit.

use std::time::{Duration, Instant};

use gantry_http::retry::{Idempotency, RetryPolicy, send, send_before};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::{client, closed_port, quick};

/// How a hostile server answers every request.
#[derive(Clone, Copy)]
enum Answer {
    /// 200 with a body of `len` zero bytes, announced (`content-length`) or chunked.
    Huge { len: u64, announced: bool },
    /// 200 whose body comes one byte every 50 ms, forever.
    Drip,
    /// 403 with `x-ratelimit-remaining: 0` and `x-ratelimit-reset: u64::MAX`.
    ResetAtTheEndOfTime,
}

/// Serves `answer` on a loopback port; returns its URL.
async fn serve(answer: Answer) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(respond(stream, answer));
        }
    });
    url
}

async fn respond(mut stream: TcpStream, answer: Answer) {
    let mut request = [0u8; 4096];
    if stream.read(&mut request).await.is_err() {
        return;
    }
    let _ = match answer {
        Answer::Huge { len, announced } => huge(&mut stream, len, announced).await,
        Answer::Drip => drip(&mut stream).await,
        Answer::ResetAtTheEndOfTime => {
            stream
                .write_all(
                    b"HTTP/1.1 403 Forbidden\r\nx-ratelimit-remaining: 0\r\n\
                      x-ratelimit-reset: 18446744073709551615\r\ncontent-length: 2\r\n\r\n{}",
                )
                .await
        }
    };
}

async fn huge(stream: &mut TcpStream, len: u64, announced: bool) -> std::io::Result<()> {
    let head = if announced {
        format!("HTTP/1.1 200 OK\r\ncontent-length: {len}\r\n\r\n")
    } else {
        "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n".to_owned()
    };
    stream.write_all(head.as_bytes()).await?;
    let block = vec![0u8; 1 << 20];
    let mut sent = 0;
    while sent < len {
        if announced {
            stream.write_all(&block).await?;
        } else {
            stream
                .write_all(format!("{:x}\r\n", block.len()).as_bytes())
                .await?;
            stream.write_all(&block).await?;
            stream.write_all(b"\r\n").await?;
        }
        sent += block.len() as u64;
    }
    Ok(())
}

async fn drip(stream: &mut TcpStream) -> std::io::Result<()> {
    stream
        .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 1000000\r\n\r\n")
        .await?;
    loop {
        stream.write_all(b"x").await?;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn an_800_mb_answer_is_refused_not_buffered() {
    for announced in [true, false] {
        let url = serve(Answer::Huge {
            len: 800 << 20,
            announced,
        })
        .await;
        let client = client();
        let err = send(Idempotency::Idempotent, &quick(), || client.get(&url))
            .await
            .expect_err("too large");
        let shown = err.to_string();
        assert!(shown.contains("the answer is larger than 8 MiB"), "{shown}");
    }
}

/// A policy whose whole budget is `budget`, with retries that would outlast it.
fn within(budget: Duration) -> RetryPolicy {
    RetryPolicy {
        retries: 10,
        min_delay: Duration::from_millis(300),
        max_delay: Duration::from_secs(2),
        budget,
        ..quick()
    }
}

#[tokio::test]
async fn a_dripping_server_cannot_outlast_the_budget() {
    let url = serve(Answer::Drip).await;
    let client = client();
    let started = Instant::now();
    let err = send(
        Idempotency::Idempotent,
        &within(Duration::from_secs(1)),
        || client.get(&url),
    )
    .await
    .expect_err("cut off");
    assert!(err.is_timeout(), "{err}");
    // The budget is 1 s: a few seconds' margin for a loaded machine, far below the drip's
    // 1,000,000 × 50 ms.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn refused_connections_are_retried_only_until_the_deadline() {
    let url = format!("http://127.0.0.1:{}/", closed_port());
    let client = client();
    let started = Instant::now();
    let deadline = tokio::time::Instant::now() + Duration::from_millis(800);
    let err = send_before(
        Some(deadline),
        Idempotency::Idempotent,
        &within(Duration::from_secs(60)),
        || client.get(&url),
    )
    .await
    .expect_err("nothing listens");
    assert!(err.is_connect(), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_rate_limit_reset_beyond_any_clock_is_an_answer_not_a_panic() {
    let url = serve(Answer::ResetAtTheEndOfTime).await;
    let client = client();
    let reply = send(Idempotency::Idempotent, &quick(), || client.get(&url))
        .await
        .unwrap();
    assert_eq!(reply.status, 403);
    assert_eq!(reply.rate_limit().reset, None);
}
