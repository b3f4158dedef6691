//! DKIM signing keys: RSA 2048 (what every receiver verifies; ed25519 is
//! not yet checked by the large providers), made by the `openssl` tool that
//! every Debian system has, so Konbit carries no RSA code of its own.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

/// A bound on one `openssl` run (a 2048-bit key takes about 0.2 s).
const TIMEOUT: Duration = Duration::from_secs(60);

/// A fresh key pair. `Debug` does not show the private key.
#[derive(Clone, PartialEq, Eq)]
pub struct DkimKey {
    /// PKCS#8 PEM, what OpenDKIM reads.
    pub private_pem: String,
    /// Base64 of the DER SubjectPublicKeyInfo: the `p=` of the TXT record.
    pub public_b64: String,
}

impl std::fmt::Debug for DkimKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DkimKey")
            .field("private_pem", &"<redacted>")
            .field("public_b64", &self.public_b64)
            .finish()
    }
}

/// Makes an RSA key of `bits` bits with `openssl` (a path or a name on PATH).
pub async fn generate(openssl: &Path, bits: u32) -> Result<DkimKey, String> {
    let mut genpkey = Command::new(openssl);
    genpkey
        .args(["genpkey", "-algorithm", "RSA", "-pkeyopt"])
        .arg(format!("rsa_keygen_bits:{bits}"));
    let private = run(genpkey, None).await?;
    let private_pem = String::from_utf8(private)
        .map_err(|_| "openssl wrote a key that is not text".to_owned())?;
    if !private_pem.starts_with("-----BEGIN PRIVATE KEY-----") {
        return Err("openssl did not write a PKCS#8 private key".into());
    }
    let mut pkey = Command::new(openssl);
    pkey.args(["pkey", "-pubout", "-outform", "DER"]);
    let der = run(pkey, Some(private_pem.as_bytes())).await?;
    if der.is_empty() {
        return Err("openssl wrote an empty public key".into());
    }
    use base64::Engine;
    Ok(DkimKey {
        private_pem,
        public_b64: base64::engine::general_purpose::STANDARD.encode(der),
    })
}

async fn run(mut cmd: Command, input: Option<&[u8]>) -> Result<Vec<u8>, String> {
    let what = format!("{:?}", cmd.as_std());
    cmd.stdin(if input.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .kill_on_drop(true);
    let mut child = cmd.spawn().map_err(|e| format!("starting {what}: {e}"))?;
    if let (Some(input), Some(mut stdin)) = (input, child.stdin.take()) {
        stdin
            .write_all(input)
            .await
            .map_err(|e| format!("writing to {what}: {e}"))?;
    }
    let output = tokio::time::timeout(TIMEOUT, child.wait_with_output())
        .await
        .map_err(|_| format!("{what} took more than {} s", TIMEOUT.as_secs()))?
        .map_err(|e| format!("running {what}: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "{what} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(output.stdout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_key_is_made_with_its_public_half() {
        let key = generate(Path::new("openssl"), 2048).await.unwrap();
        assert!(key.private_pem.contains("END PRIVATE KEY"));
        use base64::Engine;
        let der = base64::engine::general_purpose::STANDARD
            .decode(&key.public_b64)
            .unwrap();
        // SubjectPublicKeyInfo of a 2048-bit RSA key: 294 bytes.
        assert_eq!(der.len(), 294);
        assert!(!format!("{key:?}").contains("PRIVATE"));
    }

    #[tokio::test]
    async fn a_missing_tool_is_a_clear_error() {
        let err = generate(Path::new("/nonexistent/openssl"), 2048)
            .await
            .unwrap_err();
        assert!(err.contains("starting"), "{err}");
    }
}
