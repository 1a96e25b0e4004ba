//! `ier health`: asks an instance's internal listener whether it is ready, for container health
//! checks (the runtime image has no curl): exit 0 when `/health/ready` answers 200, 1 otherwise,
//! within a few seconds either way.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The whole check may take at most this long.
const TIMEOUT: Duration = Duration::from_secs(3);

/// Exit status: 0 ready, 1 not ready or not answering.
pub fn run(addr: SocketAddr, path: &str) -> i32 {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("not checked: {e}");
            return 1;
        }
    };
    match runtime.block_on(async { tokio::time::timeout(TIMEOUT, status(addr, path)).await }) {
        Ok(Ok(200)) => {
            println!("ready");
            0
        }
        Ok(Ok(code)) => {
            println!("not ready: {addr}{path} answered {code}");
            1
        }
        Ok(Err(e)) => {
            println!("not ready: {addr}{path}: {e}");
            1
        }
        Err(_) => {
            println!("not ready: {addr}{path} did not answer within {} s", TIMEOUT.as_secs());
            1
        }
    }
}

/// One `GET path` over HTTP/1.1; the status code of the answer.
async fn status(addr: SocketAddr, path: &str) -> std::io::Result<u16> {
    let mut tcp = tokio::net::TcpStream::connect(addr).await?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    tcp.write_all(request.as_bytes()).await?;
    let mut head = Vec::new();
    let mut buf = [0u8; 512];
    while !head.windows(2).any(|w| w == b"\r\n") {
        let n = tcp.read(&mut buf).await?;
        if n == 0 || head.len() > 4096 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    // "HTTP/1.1 200 OK"
    std::str::from_utf8(&head)
        .ok()
        .and_then(|h| h.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidData, "not an HTTP answer"))
}
