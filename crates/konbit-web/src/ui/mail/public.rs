//! What anyone reaches without a Konbit sign-in: the page where a
//! mailbox's user changes its password by proving the current one, and the
//! answers mail programs ask for to set themselves up (Thunderbird's
//! autoconfig, Outlook's autodiscover).

use super::{FormErrors, FormOutcome, confirm_error, outcome, render};
use crate::AppState;
use crate::context::{Ctx, cookie};
use crate::error::PanelError;
use crate::form::FormData;
use crate::i18n::{Tr, negotiate};
use crate::ui::Layout;
use crate::ui::auth::{anonymous_layout, cookie_header};
use crate::ui::see_other;
use crate::ui::two_factor::{retry_message, with_retry_after};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_TYPE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, Uri, header};
use axum::response::{IntoResponse, Response};
use konbit_app::AppError;
use konbit_app::mail_domain::ClientSettings;
use konbit_core::ErrorCode;
use konbit_core::mail::MailAddress;
use konbit_core::names::Fqdn;

#[derive(Template)]
#[template(path = "mail/password.html")]
struct OwnPasswordPage {
    l: Layout,
    address: String,
    errors: FormErrors,
}

/// The page, with a fresh form token also set as a cookie: before sign-in
/// there is no session to tie it to, so the two must match (as on the
/// sign-in form).
fn form_page(
    state: &AppState,
    ctx: &Ctx,
    address: String,
    errors: FormErrors,
    status: u16,
) -> Response {
    let token = konbit_app::secret::random_token();
    let mut l = anonymous_layout(ctx, token.clone());
    l.title = ctx.tr.t("mail-own-password-title");
    let page = OwnPasswordPage { l, address, errors };
    let mut res = render(ctx.tr, status, &page);
    if let Ok(v) = cookie_header(state, state.web.login_cookie(), &token, 3600, "Strict").parse() {
        res.headers_mut().append(SET_COOKIE, v);
    }
    res
}

/// GET /mail/password
pub async fn own_password_page(State(state): State<AppState>, ctx: Ctx) -> Response {
    form_page(&state, &ctx, String::new(), FormErrors::default(), 200)
}

/// POST /mail/password: a wrong address and a wrong password give the same
/// answer, so the page never tells whether an address exists.
pub async fn own_password(State(state): State<AppState>, ctx: Ctx, req: Request) -> Response {
    let expected = cookie(req.headers(), state.web.login_cookie()).map(str::to_owned);
    let form = match FormData::from_body(req, &state).await {
        Ok(f) => f,
        Err(code) => return PanelError::new(ctx.tr, code).into_response(),
    };
    if !expected.is_some_and(|e| konbit_app::secret::same(&e, form.get("_csrf"))) {
        return PanelError::new(ctx.tr, ErrorCode::CsrfRejected).into_response();
    }
    let address = form.get("address").trim().to_owned();
    if let Some(errors) = confirm_error(&ctx.tr, &form, "new_password") {
        return form_page(&state, &ctx, address, errors, 422);
    }
    let result = state
        .app
        .mailboxes()
        .change_own_password(
            &address,
            form.get("current_password"),
            form.get("new_password"),
            &ctx.client,
        )
        .await;
    match result {
        Ok(()) => see_other("/mail/password?flash=mailbox-own-password-changed"),
        Err(AppError::InvalidCredentials) => {
            let errors = FormErrors::general(ctx.tr.t("mail-own-password-wrong"));
            form_page(&state, &ctx, address, errors, 401)
        }
        Err(AppError::RateLimited { retry_after_secs }) => with_retry_after(
            form_page(
                &state,
                &ctx,
                address,
                FormErrors::general(retry_message(&ctx.tr, retry_after_secs)),
                429,
            ),
            retry_after_secs,
        ),
        Err(e) => match outcome(&ctx.tr, e) {
            FormOutcome::Show(errors, status) => form_page(&state, &ctx, address, errors, status),
            FormOutcome::Page(p) => p.into_response(),
        },
    }
}

/// The language of an answer to a mail program (only its error pages have
/// words).
fn tr_of(headers: &HeaderMap) -> Tr {
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    Tr::new(negotiate(None, cookie(headers, "konbit_lang"), accept))
}

/// The servers for a domain, or the page a mail program gets when the
/// domain has no mail here.
async fn settings_for(
    state: &AppState,
    tr: Tr,
    domain: &str,
) -> Result<Option<(Fqdn, ClientSettings)>, Response> {
    let Ok(name) = Fqdn::parse("domain", domain, 2) else {
        return Ok(None);
    };
    match konbit_app::mail_client::client_settings_for(&state.app, name.as_str()).await {
        Ok(found) => Ok(found.map(|c| (name, c))),
        Err(e) => Err(PanelError::from_app(tr, e).into_response()),
    }
}

fn xml(body: String) -> Response {
    let mut res = body.into_response();
    res.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/xml; charset=utf-8"),
    );
    res
}

/// Text for an XML element or attribute.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// The domains a Thunderbird request may be about, most likely first: the
/// address it asks for, else the host it was sent to (`autoconfig.<domain>`
/// or the domain itself, for the `.well-known` address).
fn autoconfig_candidates(uri: &Uri, headers: &HeaderMap) -> Vec<String> {
    let asked = uri.query().and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "emailaddress")
            .map(|(_, v)| v.into_owned())
    });
    if let Some(address) = asked.filter(|a| !a.trim().is_empty()) {
        return address
            .rsplit_once('@')
            .map(|(_, d)| vec![d.trim().to_owned()])
            .unwrap_or_default();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    // Without the port (and an IPv6 literal is no mail domain anyway).
    let host = host.rsplit_once(':').map_or(host, |(h, _)| h);
    let mut out = vec![host.to_owned()];
    if let Some(rest) = host.strip_prefix("autoconfig.") {
        out.push(rest.to_owned());
    }
    out
}

/// GET /mail/config-v1.1.xml and /.well-known/autoconfig/mail/config-v1.1.xml:
/// Thunderbird's autoconfig, for domains hosted here with mail on.
pub async fn autoconfig(State(state): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    let tr = tr_of(&headers);
    for candidate in autoconfig_candidates(&uri, &headers) {
        match settings_for(&state, tr, &candidate).await {
            Ok(Some((domain, c))) => return xml(thunderbird_config(&domain, &c)),
            Ok(None) => {}
            Err(res) => return res,
        }
    }
    PanelError::new(tr, ErrorCode::NotFound).into_response()
}

fn thunderbird_config(domain: &Fqdn, c: &ClientSettings) -> String {
    let d = esc(domain.as_str());
    let imap = esc(c.imap_host.as_deref().unwrap_or(""));
    let smtp = esc(c.smtp_host.as_deref().unwrap_or(""));
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="{d}">
    <domain>{d}</domain>
    <displayName>{d}</displayName>
    <displayShortName>{d}</displayShortName>
    <incomingServer type="imap">
      <hostname>{imap}</hostname>
      <port>{imap_port}</port>
      <socketType>SSL</socketType>
      <authentication>password-cleartext</authentication>
      <username>%EMAILADDRESS%</username>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>{smtp}</hostname>
      <port>{smtp_port}</port>
      <socketType>STARTTLS</socketType>
      <authentication>password-cleartext</authentication>
      <username>%EMAILADDRESS%</username>
    </outgoingServer>
  </emailProvider>
</clientConfig>
"#,
        imap_port = c.imap_port,
        smtp_port = c.submission_port,
    )
}

/// The largest autodiscover request read (a real one is about 400 bytes).
pub const AUTODISCOVER_MAX_BYTES: usize = 8 * 1024;

/// The text of the first `EMailAddress` element of an Outlook autodiscover
/// request (any namespace prefix). A tiny reader, bounded by the request's
/// size: no entities, no nesting, nothing else of the document.
fn requested_address(xml: &str) -> Option<String> {
    let mut rest = xml;
    loop {
        let open = rest.find('<')?;
        rest = rest.get(open + 1..)?;
        let close = rest.find('>')?;
        let tag = rest.get(..close)?;
        rest = rest.get(close + 1..)?;
        let name = tag
            .split(|c: char| c.is_ascii_whitespace() || c == '/')
            .next()
            .unwrap_or("");
        let local = name.rsplit(':').next().unwrap_or(name);
        if !tag.starts_with('/')
            && !tag.ends_with('/')
            && local.eq_ignore_ascii_case("EMailAddress")
        {
            let end = rest.find('<')?;
            let text = rest.get(..end)?.trim();
            let plausible =
                !text.is_empty() && text.len() <= MailAddress::MAX && !text.contains('&');
            return plausible.then(|| text.to_owned());
        }
    }
}

/// POST /autodiscover/autodiscover.xml: Outlook's "plain old XML"
/// autodiscover. Sent by mail programs, with no cookie; it changes nothing.
pub async fn autodiscover(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let tr = tr_of(&headers);
    let address = std::str::from_utf8(&body)
        .ok()
        .and_then(requested_address)
        .and_then(|a| MailAddress::parse("address", &a).ok());
    let Some(address) = address else {
        return PanelError::new(tr, ErrorCode::MalformedBody).into_response();
    };
    match settings_for(&state, tr, address.domain().as_str()).await {
        Ok(Some((_, c))) => xml(outlook_config(&address, &c)),
        Ok(None) => PanelError::new(tr, ErrorCode::NotFound).into_response(),
        Err(res) => res,
    }
}

fn outlook_config(address: &MailAddress, c: &ClientSettings) -> String {
    let login = esc(&address.to_string());
    let imap = esc(c.imap_host.as_deref().unwrap_or(""));
    let smtp = esc(c.smtp_host.as_deref().unwrap_or(""));
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">
  <Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a">
    <Account>
      <AccountType>email</AccountType>
      <Action>settings</Action>
      <Protocol>
        <Type>IMAP</Type>
        <Server>{imap}</Server>
        <Port>{imap_port}</Port>
        <DomainRequired>off</DomainRequired>
        <LoginName>{login}</LoginName>
        <SPA>off</SPA>
        <SSL>on</SSL>
        <AuthRequired>on</AuthRequired>
      </Protocol>
      <Protocol>
        <Type>SMTP</Type>
        <Server>{smtp}</Server>
        <Port>{smtp_port}</Port>
        <DomainRequired>off</DomainRequired>
        <LoginName>{login}</LoginName>
        <SPA>off</SPA>
        <Encryption>TLS</Encryption>
        <AuthRequired>on</AuthRequired>
        <UsePOPAuth>off</UsePOPAuth>
        <SMTPLast>off</SMTPLast>
      </Protocol>
    </Account>
  </Response>
</Autodiscover>
"#,
        imap_port = c.imap_port,
        smtp_port = c.submission_port,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_text_is_escaped() {
        assert_eq!(
            esc(r#"a&b<c>"d"'e'"#),
            "a&amp;b&lt;c&gt;&quot;d&quot;&apos;e&apos;"
        );
    }

    #[test]
    fn the_address_of_an_autodiscover_request() {
        let outlook = r#"<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
  <Request>
    <EMailAddress> info@radio.example </EMailAddress>
    <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>
  </Request>
</Autodiscover>"#;
        assert_eq!(
            requested_address(outlook).as_deref(),
            Some("info@radio.example")
        );
        let prefixed = "<a:Autodiscover><a:Request><a:EMailAddress>x@y.example</a:EMailAddress></a:Request></a:Autodiscover>";
        assert_eq!(requested_address(prefixed).as_deref(), Some("x@y.example"));
        for bad in [
            "",
            "no xml at all",
            "<EMailAddress/>",
            "<EMailAddress></EMailAddress>",
            "<EMailAddress>a&amp;b@c.example</EMailAddress>",
            "<EMailAddress>unterminated@c.example",
            "<EMailAddress",
            "<<<<>>>>",
        ] {
            assert_eq!(requested_address(bad), None, "{bad}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_body_is_read_safely(s in "\\PC{0,200}") {
            // Never panics; whatever it finds is short and has no markup.
            if let Some(a) = requested_address(&s) {
                proptest::prop_assert!(a.len() <= MailAddress::MAX);
                proptest::prop_assert!(!a.contains('<') && !a.contains('&'));
            }
        }
    }

    #[test]
    fn the_answers_escape_what_they_repeat() {
        let c = ClientSettings {
            imap_host: Some("imap.coop.example".into()),
            imap_port: 993,
            smtp_host: Some("smtp<&>.coop.example".into()),
            submission_port: 587,
        };
        let domain = Fqdn::parse("d", "radio.example", 2).unwrap_or_else(|e| panic!("{e:?}"));
        let tb = thunderbird_config(&domain, &c);
        assert!(tb.contains("<hostname>imap.coop.example</hostname>"));
        assert!(tb.contains("<port>993</port>") && tb.contains("<port>587</port>"));
        assert!(tb.contains("smtp&lt;&amp;&gt;.coop.example"));
        assert!(tb.contains("<username>%EMAILADDRESS%</username>"));
        let address =
            MailAddress::parse("a", "info@radio.example").unwrap_or_else(|e| panic!("{e:?}"));
        let ol = outlook_config(&address, &c);
        assert!(ol.contains("<LoginName>info@radio.example</LoginName>"));
        assert!(ol.contains("<Encryption>TLS</Encryption>"));
    }

    #[test]
    fn thunderbird_asks_about_an_address_or_a_host() {
        let uri: Uri = "/mail/config-v1.1.xml?emailaddress=info%40radio.example"
            .parse()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            autoconfig_candidates(&uri, &HeaderMap::new()),
            vec!["radio.example".to_owned()]
        );
        let uri: Uri = "/mail/config-v1.1.xml"
            .parse()
            .unwrap_or_else(|e| panic!("{e}"));
        let mut h = HeaderMap::new();
        h.insert(
            header::HOST,
            HeaderValue::from_static("autoconfig.radio.example:443"),
        );
        assert_eq!(
            autoconfig_candidates(&uri, &h),
            vec![
                "autoconfig.radio.example".to_owned(),
                "radio.example".to_owned()
            ]
        );
    }
}
