//! `[lists]`: mailing lists through Mailman. For now only whether this
//! server hosts them; Mailman's own settings will join it.

use super::Config;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ListsSection {
    /// Whether Konbit manages mailing lists (needs Mailman, and mail).
    pub enabled: bool,
}

impl Config {
    pub fn lists_app_config(&self) -> konbit_app::list::ListConfig {
        konbit_app::list::ListConfig {
            enabled: self.lists.enabled,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_off_unless_turned_on() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("konbit.toml");
        std::fs::write(&path, "version = 1\n").unwrap();
        let (c, _) = Config::load(Some(&path)).unwrap();
        assert!(!c.app_config().lists.enabled);
        std::fs::write(&path, "version = 1\n[lists]\nenabled = true\n").unwrap();
        let (c, _) = Config::load(Some(&path)).unwrap();
        assert!(c.app_config().lists.enabled);
        std::fs::write(&path, "version = 1\n[lists]\nenabeld = true\n").unwrap();
        let err = Config::load(Some(&path)).unwrap_err().to_string();
        assert!(err.contains("enabeld"), "{err}");
    }
}
