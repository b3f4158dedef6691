//! How commands print: plain text for people, JSON for scripts, and errors
//! that say what is wrong in the operator's language (from `LANG`).

use konbit_app::AppError;
use konbit_core::model::Locale;
use konbit_web::i18n::Tr;
use serde::Serialize;
use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum Format {
    #[default]
    Text,
    Json,
}

pub fn tr() -> Tr {
    let lang = std::env::var("LC_ALL")
        .or_else(|_| std::env::var("LANG"))
        .unwrap_or_default();
    Tr::new(if lang.starts_with("fr") {
        Locale::Fr
    } else {
        Locale::En
    })
}

/// Prints a result as JSON, or as text through `text`.
pub fn print<T: Serialize>(format: Format, value: &T, text: impl FnOnce(&T) -> String) {
    match format {
        Format::Json => match serde_json::to_string_pretty(value) {
            Ok(s) => println!("{s}"),
            Err(e) => eprintln!("konbit: cannot print JSON: {e}"),
        },
        Format::Text => println!("{}", text(value)),
    }
}

/// Exit codes scripts can rely on.
pub const EXIT_FAILURE: u8 = 1;
pub const EXIT_CONFLICT: u8 = 3;
pub const EXIT_NOT_FOUND: u8 = 4;
pub const EXIT_INVALID: u8 = 5;
/// `konbit audit verify`: the audit log's hash chain is broken (see `cli/audit.rs`).
pub const EXIT_AUDIT_BROKEN: u8 = 6;

pub fn fail(format: Format, e: AppError) -> ExitCode {
    let tr = tr();
    let code = e.code();
    let mut message = tr.t(&code.message_id());
    let fields = match &e {
        AppError::Invalid(f) => f.clone(),
        AppError::Duplicate { field } => {
            let label = tr.t(&format!("field-{}", field.replace('_', "-")));
            message = tr.t1("error-duplicate-field", "field", label);
            Vec::new()
        }
        AppError::Internal(detail) => {
            message = format!("{message} ({detail})");
            Vec::new()
        }
        _ => Vec::new(),
    };
    let details: Vec<String> = fields
        .iter()
        .map(|f| konbit_web::field_message(&tr, f))
        .collect();
    match format {
        Format::Json => {
            let body = konbit_web::problem_body(&tr, code, None, &fields);
            eprintln!("{body}");
        }
        Format::Text => {
            eprintln!("konbit: {message}");
            for d in details {
                eprintln!("  - {d}");
            }
        }
    }
    ExitCode::from(match code.http_status() {
        409 => EXIT_CONFLICT,
        404 => EXIT_NOT_FOUND,
        422 | 400 => EXIT_INVALID,
        _ => EXIT_FAILURE,
    })
}

/// A failure that is not an application error (config, I/O).
pub fn fail_msg(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("konbit: {msg}");
    ExitCode::from(EXIT_FAILURE)
}
