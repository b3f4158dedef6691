//! `konbit doctor`: checks what Konbit depends on and says what is wrong,
//! one line per check. Exit code 1 when a check fails.

use crate::config::Config;
use crate::output::{Format, print};
use konbit_app::App;
use serde::Serialize;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Debug, Serialize)]
pub(crate) struct Check {
    pub(crate) name: &'static str,
    pub(crate) ok: bool,
    pub(crate) detail: String,
}

#[derive(Debug, Serialize)]
struct Report {
    ok: bool,
    checks: Vec<Check>,
}

pub async fn run(format: Format, app: &App, config: &Config) -> ExitCode {
    let mut checks = Vec::new();
    checks.push(match app.store.read().await {
        Ok(_) => Check {
            name: "state",
            ok: true,
            detail: format!("{} opens", config.database_path().display()),
        },
        Err(e) => Check {
            name: "state",
            ok: false,
            detail: e.to_string(),
        },
    });
    if config.dns.enabled {
        checks.push(pdns_database(config).await);
        checks.push(pdns_answers(config.dns.pdns_address).await);
        let placeholder = config
            .dns
            .nameservers
            .iter()
            .any(|n| n.ends_with(".invalid"));
        checks.push(Check {
            name: "dns.nameservers",
            ok: !placeholder,
            detail: if placeholder {
                "still the .invalid placeholder: set dns.nameservers to the co-op's name servers"
                    .into()
            } else {
                config.dns.nameservers.join(", ")
            },
        });
    }
    if config.mail.enabled {
        checks.extend(super::doctor_mail::checks(config).await);
    }
    if config.web.enabled {
        checks.extend(super::doctor_web::checks(config).await);
    }
    if config.sftp.enabled {
        checks.extend(super::doctor_hosting::sftp_checks(config).await);
    }
    checks.extend(super::doctor_hosting::database_checks(config).await);
    if config.lists.enabled {
        checks.extend(super::doctor_lists::checks(config).await);
    }
    let report = Report {
        ok: checks.iter().all(|c| c.ok),
        checks,
    };
    print(format, &report, |r| {
        r.checks
            .iter()
            .map(|c| {
                format!(
                    "{} {}: {}",
                    if c.ok { "ok  " } else { "FAIL" },
                    c.name,
                    c.detail
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    });
    if report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

async fn pdns_database(config: &Config) -> Check {
    let target = config.pdns_target();
    match konbit_provision::dns::pdns_db::PdnsDatabase::open(&target).await {
        Ok(db) => match db.ping().await {
            Ok(n) => Check {
                name: "powerdns database",
                ok: true,
                detail: format!("{} holds {n} zone(s)", target.database.display()),
            },
            Err(e) => Check {
                name: "powerdns database",
                ok: false,
                detail: e.to_string(),
            },
        },
        Err(e) => Check {
            name: "powerdns database",
            ok: false,
            detail: e.to_string(),
        },
    }
}

/// Sends one SOA query for the root over UDP and waits for any answer with
/// the same id: REFUSED (the root is not hosted here) still proves that
/// PowerDNS is listening and answering.
async fn pdns_answers(addr: SocketAddr) -> Check {
    let name = "powerdns";
    let fail = |detail: String| Check {
        name,
        ok: false,
        detail,
    };
    let bind: SocketAddr = if addr.is_ipv6() {
        SocketAddr::from(([0u16; 8], 0))
    } else {
        SocketAddr::from(([0u8; 4], 0))
    };
    let socket = match tokio::net::UdpSocket::bind(bind).await {
        Ok(s) => s,
        Err(e) => return fail(format!("cannot open a UDP socket: {e}")),
    };
    let id: u16 = rand::random();
    let mut query = Vec::with_capacity(17);
    query.extend_from_slice(&id.to_be_bytes());
    // flags 0 (no recursion wanted), one question, no other sections
    query.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
    // the root name, type SOA (6), class IN (1)
    query.extend_from_slice(&[0, 0, 6, 0, 1]);
    for _attempt in 0..3 {
        if let Err(e) = socket.send_to(&query, addr).await {
            return fail(format!("cannot send to {addr}: {e}"));
        }
        let mut buf = [0u8; 512];
        match tokio::time::timeout(Duration::from_secs(1), socket.recv_from(&mut buf)).await {
            Ok(Ok((n, from))) if n >= 4 && from == addr && buf[..2] == id.to_be_bytes() => {
                return Check {
                    name,
                    ok: true,
                    detail: format!("answers on {addr} (rcode {})", buf[3] & 0x0f),
                };
            }
            Ok(Ok(_)) => continue,
            Ok(Err(e)) => return fail(format!("no answer from {addr}: {e}")),
            Err(_) => continue,
        }
    }
    fail(format!(
        "no answer from {addr} within 3 s: is pdns_server running (dns.pdns_address)?"
    ))
}
