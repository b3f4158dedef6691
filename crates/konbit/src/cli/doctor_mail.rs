//! `konbit doctor`'s mail checks: Postfix answers SMTP, Dovecot answers
//! IMAP and LMTP, and the lookup database opens. Each speaks the protocol's
//! greeting, so a port that is open but serves something else fails.

use super::doctor::Check;
use crate::config::Config;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};

const TIMEOUT: Duration = Duration::from_secs(3);

pub(crate) async fn checks(config: &Config) -> Vec<Check> {
    let mut out = vec![lookup_database(config)];
    let smtp = config.mail.smtp_address;
    out.push(
        check("postfix smtp", smtp.to_string(), async move {
            let stream = tokio::net::TcpStream::connect(smtp).await?;
            greeting(stream, "220", Some(("EHLO konbit-doctor\r\n", "250"))).await
        })
        .await,
    );
    let imap = config.mail.imap_address;
    out.push(
        check("dovecot imap", imap.to_string(), async move {
            let stream = tokio::net::TcpStream::connect(imap).await?;
            greeting(stream, "* OK", None).await
        })
        .await,
    );
    if let Some(socket) = &config.mail.lmtp_socket {
        let path = config.state_path(socket);
        let shown = path.display().to_string();
        out.push(
            check("dovecot lmtp", shown, async move {
                let stream = tokio::net::UnixStream::connect(&path).await?;
                greeting(stream, "220", Some(("LHLO konbit-doctor\r\n", "250"))).await
            })
            .await,
        );
    }
    out
}

fn lookup_database(config: &Config) -> Check {
    let path = config.state_path(&config.mail.lookup_database);
    let exists = path.is_file();
    Check {
        name: "mail lookup database",
        ok: exists,
        detail: if exists {
            format!("{} exists", path.display())
        } else {
            format!(
                "{} does not exist yet: it is written when the first mail domain is applied (is `konbit serve` running?)",
                path.display()
            )
        },
    }
}

async fn check(
    name: &'static str,
    target: String,
    probe: impl Future<Output = std::io::Result<String>>,
) -> Check {
    match tokio::time::timeout(TIMEOUT, probe).await {
        Ok(Ok(line)) => Check {
            name,
            ok: true,
            detail: format!("{target}: {line}"),
        },
        Ok(Err(e)) => Check {
            name,
            ok: false,
            detail: format!("{target}: {e}"),
        },
        Err(_) => Check {
            name,
            ok: false,
            detail: format!("{target}: no answer within {} s", TIMEOUT.as_secs()),
        },
    }
}

/// Reads the server's greeting (`expect` at its start); with `then`, sends
/// a command and reads until the final line of its answer.
async fn greeting<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    expect: &str,
    then: Option<(&str, &str)>,
) -> std::io::Result<String> {
    let mut stream = BufReader::new(stream);
    let first = read_line(&mut stream).await?;
    if !first.starts_with(expect) {
        return Err(unexpected(&first));
    }
    let Some((command, code)) = then else {
        return Ok(first);
    };
    stream.get_mut().write_all(command.as_bytes()).await?;
    // Multi-line answers are `250-…` lines, then `250 …`; a bound on their
    // number keeps a misbehaving peer from holding the check.
    for _ in 0..100 {
        let line = read_line(&mut stream).await?;
        if !line.starts_with(code) {
            return Err(unexpected(&line));
        }
        if line.as_bytes().get(3) != Some(&b'-') {
            let _ = stream.get_mut().write_all(b"QUIT\r\n").await;
            return Ok(first);
        }
    }
    Err(unexpected("an endless answer"))
}

async fn read_line<S: AsyncRead + Unpin>(stream: &mut BufReader<S>) -> std::io::Result<String> {
    let mut line = String::new();
    let n = AsyncReadExt::take(&mut *stream, 4096)
        .read_line(&mut line)
        .await?;
    if n == 0 {
        return Err(std::io::Error::other("the server closed the connection"));
    }
    Ok(line.trim_end().to_owned())
}

fn unexpected(line: &str) -> std::io::Error {
    std::io::Error::other(format!(
        "unexpected answer {:?}",
        line.chars().take(120).collect::<String>()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn fake_server(script: &'static [u8]) -> std::net::SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            s.write_all(script).await.unwrap();
            let mut buf = [0u8; 64];
            let _ = s.read(&mut buf).await;
        });
        addr
    }

    #[tokio::test]
    async fn an_smtp_server_passes_and_something_else_fails() {
        let smtp = fake_server(b"220 mx ESMTP\r\n250-mx\r\n250 8BITMIME\r\n").await;
        let s = tokio::net::TcpStream::connect(smtp).await.unwrap();
        assert!(
            greeting(s, "220", Some(("EHLO x\r\n", "250")))
                .await
                .is_ok()
        );
        let http = fake_server(b"HTTP/1.1 400 Bad Request\r\n").await;
        let s = tokio::net::TcpStream::connect(http).await.unwrap();
        let err = greeting(s, "220", None).await.unwrap_err();
        assert!(err.to_string().contains("unexpected answer"), "{err}");
    }
}
