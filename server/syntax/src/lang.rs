//! The languages codeloop parses, how a file or an LSP `languageId` maps to one, and the
//! tree-sitter grammar behind each.
//!
//! This is a closed list on purpose: every language here has a grammar crate linked in and a
//! query file under `grammars/queries/<name>/`. It is not a registry that loads grammars at run
//! time, and it does not sniff file contents (shebangs, modelines): extension and file name only.

use std::path::Path;

/// A language with a linked-in grammar. `name()` is the folder under `grammars/queries/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lang {
    Rust,
    Python,
    JavaScript,
    TypeScript,
    Tsx,
    Go,
    C,
    Cpp,
    Java,
    Ruby,
    Bash,
}

impl Lang {
    pub const ALL: [Lang; 11] = [
        Lang::Rust,
        Lang::Python,
        Lang::JavaScript,
        Lang::TypeScript,
        Lang::Tsx,
        Lang::Go,
        Lang::C,
        Lang::Cpp,
        Lang::Java,
        Lang::Ruby,
        Lang::Bash,
    ];

    /// Picks the language from the file extension (case-insensitive), or from well-known file
    /// names without one (`Rakefile`, `Gemfile`, ...). `.h` is C: C++ headers that need the C++
    /// grammar usually use `.hpp`/`.hh`, and the C grammar still parses most C++ headers' outlines.
    pub fn from_path(path: &Path) -> Option<Lang> {
        let file_name = path.file_name()?.to_str()?;
        match file_name {
            "Rakefile" | "Gemfile" | "Guardfile" | "Capfile" | "Vagrantfile" | "Podfile" | "Brewfile" | "config.ru" => {
                return Some(Lang::Ruby)
            }
            ".bashrc" | ".bash_profile" | ".bash_aliases" | ".bash_logout" | ".profile" | "PKGBUILD" => return Some(Lang::Bash),
            _ => {}
        }
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        let lang = match ext.as_str() {
            "rs" => Lang::Rust,
            "py" | "pyi" | "pyw" => Lang::Python,
            "js" | "mjs" | "cjs" | "jsx" => Lang::JavaScript,
            "ts" | "mts" | "cts" => Lang::TypeScript,
            "tsx" => Lang::Tsx,
            "go" => Lang::Go,
            "c" | "h" => Lang::C,
            "cc" | "cpp" | "cxx" | "c++" | "hpp" | "hh" | "hxx" | "h++" | "ipp" | "tpp" => Lang::Cpp,
            "java" => Lang::Java,
            "rb" | "rake" | "gemspec" | "ru" => Lang::Ruby,
            "sh" | "bash" => Lang::Bash,
            _ => return None,
        };
        Some(lang)
    }

    /// Maps an LSP `languageId` (the identifiers listed in the LSP specification under
    /// "Text Document Item", plus a few aliases editors send) to a language.
    pub fn from_language_id(id: &str) -> Option<Lang> {
        let lang = match id {
            "rust" => Lang::Rust,
            "python" => Lang::Python,
            "javascript" | "javascriptreact" | "jsx" => Lang::JavaScript,
            "typescript" => Lang::TypeScript,
            "typescriptreact" | "tsx" => Lang::Tsx,
            "go" => Lang::Go,
            "c" => Lang::C,
            "cpp" | "c++" => Lang::Cpp,
            "java" => Lang::Java,
            "ruby" => Lang::Ruby,
            "shellscript" | "bash" | "sh" => Lang::Bash,
            _ => return None,
        };
        Some(lang)
    }

    /// The stable lowercase name: the folder under `grammars/queries/`, also used for persistence.
    pub fn name(self) -> &'static str {
        match self {
            Lang::Rust => "rust",
            Lang::Python => "python",
            Lang::JavaScript => "javascript",
            Lang::TypeScript => "typescript",
            Lang::Tsx => "tsx",
            Lang::Go => "go",
            Lang::C => "c",
            Lang::Cpp => "cpp",
            Lang::Java => "java",
            Lang::Ruby => "ruby",
            Lang::Bash => "bash",
        }
    }

    /// The inverse of [`Lang::name`].
    pub fn from_name(name: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|lang| lang.name() == name)
    }

    /// The tree-sitter grammar. Cheap: grammar crates hand out a static table.
    pub fn language(self) -> tree_sitter::Language {
        let f = match self {
            Lang::Rust => tree_sitter_rust::LANGUAGE,
            Lang::Python => tree_sitter_python::LANGUAGE,
            Lang::JavaScript => tree_sitter_javascript::LANGUAGE,
            Lang::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT,
            Lang::Tsx => tree_sitter_typescript::LANGUAGE_TSX,
            Lang::Go => tree_sitter_go::LANGUAGE,
            Lang::C => tree_sitter_c::LANGUAGE,
            Lang::Cpp => tree_sitter_cpp::LANGUAGE,
            Lang::Java => tree_sitter_java::LANGUAGE,
            Lang::Ruby => tree_sitter_ruby::LANGUAGE,
            Lang::Bash => tree_sitter_bash::LANGUAGE,
        };
        tree_sitter::Language::new(f)
    }

    /// Position in [`Lang::ALL`], for per-language tables.
    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

impl std::fmt::Display for Lang {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
