//! Where the configuration files are: the user's config directory and the project's `.codeloop/`.

use std::path::{Path, PathBuf};

/// `$CODELOOP_CONFIG_DIR`, else `$XDG_CONFIG_HOME/codeloop`, else `~/.config/codeloop`.
pub fn user_config_dir() -> Option<PathBuf> {
    stdx::app_dir("CODELOOP_CONFIG_DIR", "XDG_CONFIG_HOME", ".config")
}

/// The project's config file and the project root it belongs to: `.codeloop/config.toml` at the
/// project root (the nearest ancestor of `cwd` holding `.git`), or in `cwd` itself when there is no
/// repository. Only there: a file planted deeper in the tree (by a build script, or a command the
/// agent ran) is never read.
pub fn project_config(cwd: &Path) -> Option<(PathBuf, PathBuf)> {
    let root = cwd.ancestors().find(|d| d.join(".git").exists()).unwrap_or(cwd);
    let file = root.join(".codeloop").join("config.toml");
    file.is_file().then(|| (file, root.to_path_buf()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_config_stops_at_the_git_root() {
        let tmp = std::env::temp_dir().join(format!("codeloop-config-locate-{}", std::process::id()));
        let outer = tmp.join("outer");
        let repo = outer.join("repo");
        let sub = repo.join("src").join("deep");
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::create_dir_all(outer.join(".codeloop")).unwrap();
        std::fs::write(outer.join(".codeloop/config.toml"), "model = \"x\"").unwrap();
        std::fs::create_dir_all(repo.join(".git")).unwrap();
        // The outer .codeloop is above the repository's root: not ours.
        assert_eq!(project_config(&sub), None);
        // One planted below the root is not read either.
        std::fs::create_dir_all(sub.join(".codeloop")).unwrap();
        std::fs::write(sub.join(".codeloop/config.toml"), "model = \"planted\"").unwrap();
        assert_eq!(project_config(&sub), None);
        std::fs::create_dir_all(repo.join(".codeloop")).unwrap();
        std::fs::write(repo.join(".codeloop/config.toml"), "").unwrap();
        assert_eq!(project_config(&sub), Some((repo.join(".codeloop/config.toml"), repo.clone())));
        // Outside a repository, the working directory's own file.
        let loose = tmp.join("loose");
        std::fs::create_dir_all(loose.join(".codeloop")).unwrap();
        std::fs::write(loose.join(".codeloop/config.toml"), "").unwrap();
        assert_eq!(project_config(&loose), Some((loose.join(".codeloop/config.toml"), loose.clone())));
        std::fs::remove_dir_all(&tmp).unwrap();
    }
}
