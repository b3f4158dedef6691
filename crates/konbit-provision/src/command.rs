//! Running the daemons' own tools (`postfix check`, `doveconf`, `sievec`,
//! `opendkim`): always an argument vector, never a shell, stdin closed, and
//! killed when it outlives its time.

use std::process::Output;
use std::time::Duration;
use tokio::process::Command;

/// Runs `cmd` to completion within `timeout`, collecting its output. The
/// error says what ran and why it did not finish.
pub async fn run_bounded(mut cmd: Command, timeout: Duration) -> Result<Output, String> {
    let what = format!("{:?}", cmd.as_std());
    cmd.stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    let child = cmd.spawn().map_err(|e| format!("starting {what}: {e}"))?;
    match tokio::time::timeout(timeout, child.wait_with_output()).await {
        Ok(Ok(output)) => Ok(output),
        Ok(Err(e)) => Err(format!("running {what}: {e}")),
        Err(_) => Err(format!(
            "{what} did not finish within {} s",
            timeout.as_secs()
        )),
    }
}

/// Like [`run_bounded`], but a non-zero exit is an error quoting the tool's
/// output.
pub async fn run_checked(cmd: Command, timeout: Duration) -> Result<Output, String> {
    let what = format!("{:?}", cmd.as_std());
    let output = run_bounded(cmd, timeout).await?;
    if output.status.success() {
        Ok(output)
    } else {
        Err(format!(
            "{what} failed ({}): {}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout).trim(),
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_tool_that_runs_too_long_is_stopped() {
        let mut cmd = Command::new("sleep");
        cmd.arg("5");
        let started = std::time::Instant::now();
        let err = run_bounded(cmd, Duration::from_millis(200))
            .await
            .unwrap_err();
        assert!(err.contains("did not finish"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(4));
    }

    #[tokio::test]
    async fn a_failing_tool_is_an_error_quoting_its_output() {
        let mut cmd = Command::new("ls");
        cmd.arg("/konbit-no-such-path");
        let err = run_checked(cmd, Duration::from_secs(10)).await.unwrap_err();
        assert!(err.contains("konbit-no-such-path"), "{err}");
        let mut ok = Command::new("ls");
        ok.arg("/");
        assert!(run_checked(ok, Duration::from_secs(10)).await.is_ok());
    }
}
