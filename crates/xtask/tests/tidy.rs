//! Tidy: the project's conventions, checked on every test run.
//!
//! - every Rust file starts with a `//!` doc comment saying what it is for;
//! - every crate is named in ARCHITECTURE.md's code map;
//! - the domain crate does no I/O (no files, network, environment or clock).

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).ancestors().nth(2).unwrap().to_path_buf()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_rust_file_starts_with_a_module_doc() {
    let mut files = Vec::new();
    rust_files(&root().join("crates"), &mut files);
    let missing: Vec<_> = files
        .iter()
        .filter(|f| !std::fs::read_to_string(f).unwrap().lines().take(3).any(|l| l.starts_with("//!")))
        .collect();
    assert!(missing.is_empty(), "files without a //! doc at the top: {missing:?}");
}

#[test]
fn every_crate_is_in_the_architecture_code_map() {
    let arch = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    for entry in std::fs::read_dir(root().join("crates")).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(arch.contains(&format!("`{name}`")), "crate {name} is not in ARCHITECTURE.md");
    }
}

#[test]
fn the_domain_crate_does_no_io() {
    let mut files = Vec::new();
    rust_files(&root().join("crates/ier-domain/src"), &mut files);
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for banned in [
            "std::fs",
            "std::net",
            "std::env",
            "std::process",
            "Utc::now",
            "Local::now",
            "SystemTime",
            "tokio",
            "include_str!(\"/",
        ] {
            assert!(!text.contains(banned), "{} uses {banned}: the domain crate does no I/O", f.display());
        }
    }
    let manifest = std::fs::read_to_string(root().join("crates/ier-domain/Cargo.toml")).unwrap();
    for banned in ["tokio", "sqlx", "reqwest", "axum"] {
        assert!(!manifest.contains(banned), "ier-domain depends on {banned}");
    }
}
