//! The `ier` binary through its command line, as an operator would use it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn ier() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ier"));
    // A clean environment: nothing from the developer's shell leaks in.
    for (k, _) in std::env::vars() {
        if k.starts_with("IER_") {
            c.env_remove(k);
        }
    }
    c
}

fn output(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn help_is_available_everywhere() {
    for args in [
        &["--help"][..],
        &["demo", "--help"],
        &["serve", "--help"],
        &["import", "--help"],
        &["import", "onspd", "--help"],
        &["lookup", "--help"],
        &["keygen", "--help"],
        &["synth", "--help"],
        &["synth", "records", "--help"],
        &["match", "link", "--help"],
        &["ero", "--help"],
        &["ero", "cert", "issue", "--help"],
        &["ero", "cert", "revoke", "--help"],
        &["ero", "cert", "register", "--help"],
        &["ero", "server-cert", "--help"],
        &["ero", "ca", "import", "--help"],
        &["ero", "ca", "split", "--help"],
        &["ero", "serial", "map", "--help"],
        &["ems", "poll", "--help"],
        &["ems", "openapi", "--help"],
        &["backup", "--help"],
        &["restore", "--help"],
        &["verify", "--help"],
        &["seed", "--help"],
        &["feedback", "export", "--help"],
    ] {
        let (code, out, _) = output(ier().args(args));
        assert_eq!(code, 0, "{args:?}");
        assert!(out.contains("Usage:"), "{args:?}");
    }
}

#[test]
fn serve_names_its_operations_settings_and_refuses_a_malformed_one() {
    let (code, out, _) = output(ier().args(["serve", "--help"]));
    assert_eq!(code, 0);
    for setting in ["IER_INTERNAL_ADDR", "IER_MAX_IN_FLIGHT", "IER_QUEUE_WAIT_MS", "IER_DRAIN_SECONDS", "IER_DB_POOL"] {
        assert!(out.contains(setting), "{setting} missing from:\n{out}");
    }
    let (code, _, err) = output(ier().arg("serve").env("IER_DB_POOL", "lots"));
    assert_eq!(code, 2);
    assert!(err.contains("lots") && err.contains("--db-pool"), "{err}");
}

#[test]
fn serve_refuses_to_start_without_its_configuration_and_says_what_to_set() {
    let (code, _, err) = output(ier().arg("serve"));
    assert_eq!(code, 2);
    assert!(err.contains("IER_DATABASE_URL is not set"), "{err}");
    assert!(err.contains("IER_DATA_KEYS is not set"), "{err}");
    assert!(err.contains("IER_SESSION_KEYS is not set"), "{err}");
    assert!(err.contains("IER_PKI_DIR is not set"), "{err}");
    assert!(err.contains("IER_NOTIFY is not set"), "{err}");
    assert!(err.contains("IER_EVIDENCE_DIR is not set"), "{err}");
    let (code, _, err) = output(ier().arg("serve").env("IER_NOTIFY", "govuk").env("IER_NOTIFY_API_KEY", "not-a-key"));
    assert_eq!(code, 2);
    assert!(
        err.contains("IER_NOTIFY_API_KEY is not valid") && err.contains("IER_NOTIFY_TEMPLATES is not set"),
        "{err}"
    );
    assert!(err.contains("IER_PUBLIC_URL is not set") && !err.contains("not-a-key"), "{err}");
    let (code, _, err) = output(
        ier().arg("serve").env("IER_DATABASE_URL", "postgres://x@localhost/ier").env("IER_DATA_KEYS", "k1:short"),
    );
    assert_eq!(code, 2);
    assert!(err.contains("IER_DATA_KEYS is not valid"), "{err}");
    assert!(!err.contains("IER_DATABASE_URL is not set"));
    // Evidence in S3 instead of a directory: the bucket alone is not enough, and the
    // secret is never echoed.
    let (code, _, err) = output(
        ier()
            .arg("serve")
            .env("IER_EVIDENCE_S3_BUCKET", "ier-evidence")
            .env("IER_EVIDENCE_S3_ACCESS_KEY", "AKIAEXAMPLEKEY")
            .env("IER_EVIDENCE_S3_ENDPOINT", "ftp://s3.example")
            .env("IER_PORTAL_OIDC", "/nonexistent/oidc.toml"),
    );
    assert_eq!(code, 2);
    assert!(err.contains("IER_PORTAL_OIDC: /nonexistent/oidc.toml cannot be read"), "{err}");
    assert!(err.contains("IER_EVIDENCE_S3_BUCKET is set but the S3 settings cannot be used"), "{err}");
    assert!(!err.contains("IER_EVIDENCE_DIR is not set") && !err.contains("AKIAEXAMPLEKEY"), "{err}");
    let (code, _, err) = output(ier().arg("serve").env("IER_PUBLIC_ADDR", "nonsense"));
    assert_eq!(code, 2);
    assert!(err.contains("IER_PUBLIC_ADDR is not an address"), "{err}");
    let (code, _, err) = output(ier().arg("serve").env("IER_PORTAL_ADDR", "portal"));
    assert_eq!(code, 2);
    assert!(err.contains("IER_PORTAL_ADDR is not an address"), "{err}");
}

#[test]
fn lookup_routes_real_postcodes_and_recognises_northern_ireland() {
    let (code, out, _) = output(ier().args(["lookup", "sw1a 1aa"]));
    assert_eq!(code, 0);
    assert!(out.contains("SW1A 1AA: Westminster (E09000033), england"), "{out}");
    let (_, out, _) = output(ier().args(["lookup", "LL55 4UR"]));
    assert!(out.contains("Gwynedd") && out.contains("Welsh name: Gwynedd"), "{out}");
    let (_, out, _) = output(ier().args(["lookup", "EH1 1YZ"]));
    assert!(out.contains("City of Edinburgh") && out.contains("Lothian Valuation Joint Board"), "{out}");
    let (code, out, _) = output(ier().args(["lookup", "BT1 1AA"]));
    assert_eq!(code, 0);
    assert!(out.contains("Northern Ireland: out of scope"), "{out}");
    let (code, _, err) = output(ier().args(["lookup", "not a postcode"]));
    assert_ne!(code, 0);
    assert!(err.contains("the postcode is not a valid postcode"), "{err}");
}

#[test]
fn keygen_makes_a_usable_key() {
    let (code, out, _) = output(ier().args(["keygen", "--id", "2026-11"]));
    assert_eq!(code, 0);
    let key = out.trim();
    assert!(key.starts_with("2026-11:"));
    let parsed = ier_storage::DataKeys::parse(&secrecy::SecretString::from(key.to_owned())).unwrap();
    assert_eq!(parsed.current_id(), "2026-11");
}

#[test]
fn import_onspd_builds_a_table_that_lookup_uses() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("onspd.csv");
    std::fs::write(&csv, "pcd,pcds,doterm,laua\nSW1A1AA,SW1A 1AA,,W06000015\nXX,XX 1,,E09000033\n").unwrap();
    let table = dir.path().join("table.ierpcd");
    let (code, out, err) = output(ier().args(["import", "onspd", "--file"]).arg(&csv).arg("--out").arg(&table));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("1 postcodes in 1 districts") && out.contains("skipped 1 malformed"), "{out}");
    // With the imported table, SW1A 1AA (deliberately remapped here) goes to Cardiff.
    let (_, out, _) = output(ier().args(["lookup", "SW1A 1AA", "--postcode-table"]).arg(&table));
    assert!(out.contains("Cardiff"), "{out}");
    let (code, _, err) =
        output(ier().args(["import", "onspd", "--file"]).arg(dir.path().join("missing.csv")).arg("--out").arg(&table));
    assert_ne!(code, 0);
    assert!(err.contains("missing.csv"), "{err}");
}

#[test]
fn import_contacts_checks_every_row_then_loads_them_for_good() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("ier.db").display());
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "ero_id,email,phone,website,address\r\ncardiff,not-an-email,,,\r\nnowhere,,,,\r\nadur,a@b.example\r\n",
    )
    .unwrap();
    let (code, out, err) =
        output(ier().args(["import", "contacts", "--file"]).arg(&bad).args(["--database-url", &url]));
    assert_ne!(code, 0, "{out}");
    for line in ["line 2: email is not an email address", "line 3: no ERO nowhere", "line 4: the row could not be read"]
    {
        assert!(err.contains(line), "{line}: {err}");
    }
    assert!(err.contains("3 problems") && err.contains("nothing was loaded"), "{err}");
    let good = dir.path().join("good.csv");
    std::fs::write(
        &good,
        "ero_id,email,phone,website,address\ncardiff,vote@cardiff.example,029 2087 2034,,City Hall\n",
    )
    .unwrap();
    let (code, out, err) =
        output(ier().args(["import", "contacts", "--file"]).arg(&good).args(["--database-url", &url]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("contact details loaded for 1 EROs"), "{out}");
    // Opening the database again (as `ier serve` does, loading the shipped reference data) keeps them.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let ero = rt.block_on(async {
        use ier_storage::Backend;
        let backend = ier_storage_sqlite::SqliteBackend::open(&dir.path().join("ier.db")).await.unwrap();
        let reference = ier_reference::ReferenceData::embedded();
        backend.put_eros(&reference.eros().cloned().collect::<Vec<_>>()).await.unwrap();
        backend.ero(&ier_domain::EroId::parse("cardiff").unwrap()).await.unwrap().unwrap()
    });
    assert_eq!(ero.contact.email.as_deref(), Some("vote@cardiff.example"));
    assert_eq!(ero.contact.address.as_deref(), Some("City Hall"));
}

/// A running `ier demo` with its base URL and EMS API address; killed on drop.
struct Demo {
    child: std::process::Child,
    base: String,
    ems: String,
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_demo(data_dir: &std::path::Path) -> (Demo, Vec<String>) {
    start_demo_with(data_dir, &[])
}

fn start_demo_with(data_dir: &std::path::Path, extra: &[&str]) -> (Demo, Vec<String>) {
    let mut child = ier()
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
        .arg(data_dir)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = Vec::new();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let started = Instant::now();
    let (mut base, mut ems) = (None, None);
    while started.elapsed() < Duration::from_secs(60) {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 {
            break;
        }
        if let Some(url) = line.trim().strip_prefix("Public site:") {
            base = Some(url.trim().trim_end_matches('/').to_owned());
        }
        if let Some(rest) = line.trim().strip_prefix("EMS API:") {
            ems = rest.split_whitespace().next().and_then(|u| u.strip_suffix("/v1/applications")).map(str::to_owned);
        }
        let done = line.starts_with("Press Ctrl-C");
        lines.push(line);
        if done {
            break;
        }
    }
    let base = base.unwrap_or_else(|| panic!("demo did not print its URL: {lines:?}"));
    let ems = ems.unwrap_or_else(|| panic!("demo did not print its EMS API: {lines:?}"));
    (Demo { child, base, ems }, lines)
}

fn http_get(base: &str, path: &str) -> String {
    let addr = base.strip_prefix("http://").unwrap();
    let mut s = TcpStream::connect(addr).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn demo_serves_pages_with_demo_data_and_keeps_it_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("ier-data");
    let (demo, lines) = start_demo(&data);
    let printed = lines.concat();
    assert!(printed.contains("Demo identities"), "{printed}");
    for kind in ["ordinary", "overseas", "forces", "crown", "british-council"] {
        assert!(printed.contains(&format!("  {kind}: ")), "a demo identity of each kind: {kind}: {printed}");
    }
    assert!(printed.contains("the DWP simulator knows"), "{printed}");
    assert_eq!(
        printed.lines().filter(|l| l.starts_with("  ") && l.matches(", ").count() >= 3 && !l.contains("http")).count(),
        8,
        "{printed}"
    );
    let page = http_get(&demo.base, "/");
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(page.contains("Register to vote"));
    let found = http_get(&demo.base, "/find-your-council?postcode=CF10+1EP");
    assert!(found.contains("register with Cardiff (Caerdydd)."), "{found}");
    assert!(http_get(&demo.base, "/health/ready").starts_with("HTTP/1.1 200"));
    // The demo's own applications are verified against the DWP simulator while it runs
    // (the demo identities are people the simulator knows, so they match).
    let rt = tokio::runtime::Runtime::new().unwrap();
    let counts = rt.block_on(async {
        let backend = ier_storage_sqlite::SqliteBackend::open(&data.join("ier.db")).await.unwrap();
        use ier_storage::Backend;
        for _ in 0..100 {
            let counts = backend.counts().await.unwrap();
            if counts.pending_verifications == 0 {
                return counts;
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        panic!("the demo applications were never verified");
    });
    assert_eq!(
        counts.by_stage,
        vec![(ier_domain::Stage::Verified, 8), (ier_domain::Stage::WithEro, 1)],
        "one demo application of each kind, and more ordinary ones; one DWP cannot match, received by its EMS"
    );
    // The internal listener: health, and metrics with what just happened (and nothing personal).
    let internal = printed
        .lines()
        .find_map(|l| l.trim().strip_prefix("Metrics:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|u| u.strip_suffix("/metrics"))
        .expect("the demo prints its metrics address")
        .to_owned();
    assert!(http_get(&internal, "/health/live").starts_with("HTTP/1.1 200"));
    assert!(http_get(&internal, "/health/ready").starts_with("HTTP/1.1 200"));
    let metrics = http_get(&internal, "/metrics");
    assert!(metrics.starts_with("HTTP/1.1 200"), "{metrics}");
    for expected in [
        r#"ier_applications{stage="verified"} 8"#,
        r#"ier_verification_queue_depth 0"#,
        r#"ier_ems_queue_depth 8"#,
        r#"ier_verifications_total{outcome="match"} 8"#,
        r#"ier_http_requests_total{tier="public",route="/find-your-council",method="GET",status="200"} 1"#,
        "ier_http_request_duration_seconds_bucket{",
        r#"ier_http_shed_requests_total{tier="public"} 0"#,
        "ier_process_resident_memory_bytes ",
        "# EOF",
    ] {
        assert!(metrics.contains(expected), "{expected} missing from:\n{metrics}");
    }
    assert!(!metrics.contains("CF10") && !metrics.contains("postcode="), "no query strings in metrics");
    assert!(metrics.contains(r#"ier_job_queue_failed{queue="notify"} 0"#), "{metrics}");
    // Each demo applicant was sent their acknowledgement (by post: they gave no email), shown in the demo's inbox.
    assert!(printed.contains("/demo/notifications"), "{printed}");
    let mut inbox = String::new();
    for _ in 0..100 {
        inbox = http_get(&demo.base, "/demo/notifications");
        let acknowledgements = inbox.matches("Your application to register to vote<").count()
            + inbox.matches("Eich cais i gofrestru i bleidleisio<").count();
        if acknowledgements >= 8 {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(inbox.starts_with("HTTP/1.1 200"), "{inbox}");
    let acknowledgements = inbox.matches("Your application to register to vote<").count()
        + inbox.matches("Eich cais i gofrestru i bleidleisio<").count();
    assert_eq!(acknowledgements, 8, "{inbox}");
    // Every response carries a request id.
    assert!(page.to_ascii_lowercase().contains("x-request-id: "), "{page}");
    // A message is in the inbox once sent, and its job is done a moment later, in its own
    // transaction: wait for the jobs before stopping the demo (stopped between the two, a job
    // stays `running` until its lease runs out).
    let url = format!("sqlite:{}", data.join("ier.db").display());
    for _ in 0..100 {
        let (_, out, _) = output(ier().args(["jobs", "list", "--database-url", &url, "--limit", "100"]));
        if !out.contains(" running ") && out.lines().filter(|l| l.contains(" done ")).count() >= 16 {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    drop(demo);

    assert!(data.join("ier.db").exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(data.join("data-key")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the demo key is private");
    }
    // The demo applications were stored, encrypted, and routed to their EROs.
    rt.block_on(async {
        let backend = ier_storage_sqlite::SqliteBackend::open(&data.join("ier.db")).await.unwrap();
        use ier_storage::Backend;
        let verified = backend
            .application(
                &ier_domain::EroId::parse("lothian-vjb").unwrap(),
                &ier_domain::ReferenceNumber::parse("2222222222").unwrap(),
            )
            .await
            .unwrap();
        assert!(verified.is_none(), "ERO-scoped reads of unknown references find nothing");
        assert_eq!(backend.councils_of(&ier_domain::EroId::parse("lothian-vjb").unwrap()).await.unwrap().len(), 4);
    });

    // Operators see the job queue, without personal data.
    let (code, out, err) = output(ier().args(["jobs", "list", "--database-url", &url, "--limit", "100"]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("QUEUE") && out.contains("verify") && out.contains("notify:acknowledgement"), "{out}");
    assert!(out.lines().filter(|l| l.contains(" done ")).count() >= 16, "every check and acknowledgement done: {out}");
    assert!(!out.contains("@") && !out.contains("Street"), "no personal data: {out}");
    let (code, out, _) = output(ier().args(["jobs", "list", "--database-url", &url, "--state", "failed"]));
    assert_eq!(code, 0);
    assert!(out.contains("No jobs match."), "{out}");
    let (code, out, _) = output(ier().args(["jobs", "list", "--database-url", &url, "--json", "--queue", "verify"]));
    assert_eq!(code, 0);
    let first_job = out.lines().find(|l| l.contains("\"kind\"")).expect("a job");
    let job: serde_json::Value = serde_json::from_str(first_job).unwrap();
    assert_eq!((job["kind"].as_str(), job["state"].as_str()), (Some("verify"), Some("done")));
    let (code, _, err) = output(ier().args(["jobs", "retry", "--database-url", &url, &job["id"].to_string()]));
    assert_ne!(code, 0, "a finished job is not retried");
    assert!(err.contains("not failed or discarded, or no such job"), "{err}");
    let (code, _, err) = output(ier().args(["jobs", "list", "--database-url", &url, "--queue", "nonsense"]));
    assert_ne!(code, 0);
    assert!(err.contains("--queue must be verify or notify"), "{err}");

    // The demo keeps its CA apart from the EMS listener's directory.
    let (pki, issuer) = (data.join("pki"), data.join("pki-issuer"));
    assert!(issuer.join("ca.key").exists() && !pki.join("ca.key").exists());
    // A data directory from before the split (the CA's key among the listener's files, no
    // register of what it issued) has its CA moved out on the next start.
    std::fs::rename(issuer.join("ca.key"), pki.join("ca.key")).unwrap();
    std::fs::remove_dir_all(&issuer).unwrap();
    std::fs::remove_file(pki.join("issued.txt")).unwrap();

    // A second start reuses the data (no second set of demo applications).
    let (demo, _) = start_demo(&data);
    assert!(http_get(&demo.base, "/health/ready").starts_with("HTTP/1.1 200"));
    assert!(issuer.join("ca.key").exists() && !pki.join("ca.key").exists());
    let issued = std::fs::read_to_string(pki.join("issued.txt")).unwrap();
    assert!(issued.contains(" cardiff ") && issued.contains(" - "), "the demo's certificates recorded: {issued}");
    // The client certificates made before the split still fetch.
    let (code, printed, err) = output(
        ier()
            .args(["ems", "poll", "--once", "--server", &demo.ems, "--cert"])
            .arg(data.join("ems-clients/cardiff.pem"))
            .arg("--key")
            .arg(data.join("ems-clients/cardiff.key"))
            .arg("--ca")
            .arg(pki.join("ca.pem"))
            .arg("--out")
            .arg(dir.path().join("after-split")),
    );
    assert_eq!(code, 0, "{err}");
    assert!(printed.contains("fetched 1 applications"), "{printed}");
    drop(demo);
    rt.block_on(async {
        let backend = ier_storage_sqlite::SqliteBackend::open(&data.join("ier.db")).await.unwrap();
        use ier_storage::Backend;
        let counts = backend.counts().await.unwrap();
        assert_eq!(
            counts.by_stage,
            vec![(ier_domain::Stage::Verified, 7), (ier_domain::Stage::WithEro, 2)],
            "still the same 9 applications, Cardiff's fetched and confirmed after the split"
        );
    });
}

#[test]
fn synth_writes_a_reference_and_noisy_records_with_ground_truth_deterministically() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n);
    let (code, _, err) =
        output(ier().args(["synth", "reference", "--seed", "7", "--size", "500", "--out"]).arg(p("ref.csv")));
    assert_eq!(code, 0, "{err}");
    let reference = std::fs::read_to_string(p("ref.csv")).unwrap();
    assert_eq!(reference.lines().count(), 501);
    assert!(reference.starts_with("id,given_name,middle_names,surname,date_of_birth,nino,"));
    for (name, noise) in [("a", "realistic"), ("b", "realistic"), ("c", "confirmation")] {
        let (code, _, err) = output(
            ier()
                .args(["synth", "records", "--seed", "7", "--size", "500", "--noise", noise, "--out"])
                .arg(p(&format!("{name}.csv")))
                .arg("--truth")
                .arg(p(&format!("{name}-truth.csv"))),
        );
        assert_eq!(code, 0, "{err}");
    }
    let a = std::fs::read(p("a.csv")).unwrap();
    assert_eq!(a, std::fs::read(p("b.csv")).unwrap(), "same seed, same bytes");
    let a = String::from_utf8(a).unwrap();
    assert!(a.starts_with(
        "id,given_name,middle_names,surname,date_of_birth,nino,address_line_1,address_line_2,town,postcode\n"
    ));
    let truth = std::fs::read_to_string(p("a-truth.csv")).unwrap();
    assert!(truth.starts_with("record_id,person_id\n"));
    assert_eq!(truth.lines().count(), a.lines().count());
    // A confirmation-style register has no date of birth or NINO.
    let c = std::fs::read_to_string(p("c.csv")).unwrap();
    for row in c.lines().skip(1) {
        let mut r = csv::ReaderBuilder::new().has_headers(false).from_reader(row.as_bytes());
        let rec = r.records().next().unwrap().unwrap();
        assert!(rec[4].is_empty() && rec[5].is_empty(), "{row}");
    }
    let (code, _, err) = output(ier().args(["synth", "reference", "--size", "1000000000000", "--out"]).arg(p("x.csv")));
    assert_ne!(code, 0);
    assert!(err.contains("too large"), "{err}");
}

#[test]
fn match_link_links_noisy_records_to_a_reference_and_names_bad_rows_without_their_values() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n);
    let (code, _, err) =
        output(ier().args(["synth", "reference", "--seed", "3", "--size", "3000", "--out"]).arg(p("ref.csv")));
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = output(
        ier()
            .args(["synth", "records", "--seed", "3", "--size", "3000", "--out"])
            .arg(p("left.csv"))
            .arg("--truth")
            .arg(p("truth.csv")),
    );
    assert_eq!(code, 0, "{err}");
    let truth: std::collections::HashMap<String, String> = std::fs::read_to_string(p("truth.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            let (r, person) = l.split_once(',').unwrap();
            (r.to_owned(), person.to_owned())
        })
        .collect();
    for extra in [&[][..], &["--no-nino"][..]] {
        let (code, _, err) = output(
            ier()
                .args(["match", "link", "--left"])
                .arg(p("left.csv"))
                .arg("--right")
                .arg(p("ref.csv"))
                .arg("--out")
                .arg(p("out.csv"))
                .args(extra),
        );
        assert_eq!(code, 0, "{err}");
        assert!(err.contains("pairs compared"), "progress and counts on stderr: {err}");
        let out = std::fs::read_to_string(p("out.csv")).unwrap();
        assert!(out.starts_with("left_id,right_id,match_probability,possible_duplicates\n"), "{out}");
        let rows: Vec<_> = out.lines().skip(1).map(|l| l.split(',').collect::<Vec<_>>()).collect();
        let linkable = truth.values().filter(|p| !p.is_empty()).count();
        let correct = rows.iter().filter(|r| truth[r[0]] == r[1]).count();
        assert!(correct as f64 >= 0.98 * linkable as f64, "{correct} of {linkable} linked ({extra:?})");
        assert!(rows.len() - correct <= 3, "{} wrong ({extra:?})", rows.len() - correct);
        for r in &rows {
            let prob: f64 = r[2].parse().unwrap();
            assert!((0.9..=1.0).contains(&prob), "{prob}");
        }
    }

    // A person recorded twice in the reference: still linked, and the other record named.
    let reference = std::fs::read_to_string(p("ref.csv")).unwrap();
    let mut doubled = reference.clone();
    for line in reference.lines().skip(1).take(600) {
        let (id, rest) = line.split_once(',').unwrap();
        doubled.push_str(&format!("{id}-again,{rest}\n"));
    }
    std::fs::write(p("ref2.csv"), doubled).unwrap();
    let (code, _, err) = output(
        ier()
            .args(["match", "link", "--left"])
            .arg(p("left.csv"))
            .arg("--right")
            .arg(p("ref2.csv"))
            .arg("--out")
            .arg(p("out2.csv")),
    );
    assert_eq!(code, 0, "{err}");
    let out = std::fs::read_to_string(p("out2.csv")).unwrap();
    let rows: Vec<Vec<&str>> = out.lines().skip(1).map(|l| l.split(',').collect()).collect();
    let person = |id: &str| id.trim_end_matches("-again").to_owned();
    let correct = rows.iter().filter(|r| truth[r[0]] == person(r[1])).count();
    let linkable = truth.values().filter(|p| !p.is_empty()).count();
    assert!(correct as f64 >= 0.98 * linkable as f64, "{correct} of {linkable} linked with people recorded twice");
    let twice: Vec<&Vec<&str>> = rows.iter().filter(|r| !r[3].is_empty()).collect();
    assert!(twice.len() > 100, "{} rows name a duplicate", twice.len());
    for r in &twice {
        let other = if r[1].ends_with("-again") { person(r[1]) } else { format!("{}-again", r[1]) };
        assert_eq!(r[3], other, "{r:?}");
    }

    // Bad input: with --strict the file, line and column are named; the value never is.
    let link_fails = |left: &str| {
        let (code, _, err) = output(
            ier()
                .args(["match", "link", "--strict", "--left"])
                .arg(p(left))
                .arg("--right")
                .arg(p("ref.csv"))
                .arg("--out")
                .arg(p("o.csv")),
        );
        assert_ne!(code, 0, "{err}");
        err
    };
    std::fs::write(p("bad.csv"), "id,given_name,surname\n1,Zebedee,Quimby\n").unwrap();
    let err = link_fails("bad.csv");
    assert!(err.contains("bad.csv") && err.contains("line 1") && err.contains("middle_names"), "{err}");
    let header = "id,given_name,middle_names,surname,date_of_birth,nino,address_line_1,address_line_2,town,postcode\n";
    std::fs::write(p("bad.csv"), format!("{header}1,Zebedee,,Quimby,1990-13-45,,,,,\n")).unwrap();
    let err = link_fails("bad.csv");
    assert!(err.contains("line 2") && err.contains("date_of_birth"), "{err}");
    assert!(!err.contains("Zebedee") && !err.contains("1990-13-45"), "no personal data in errors: {err}");
    // A row that is not UTF-8 (here in the surname; the given name is fine non-ASCII) is named by line and column.
    let mut row = format!("{header}1,Siân,,Quimby,,,,,,\n2,Zebedee,,Quim").into_bytes();
    row.extend_from_slice(b"\xff\xfeby,,,,,,\n");
    std::fs::write(p("bad.csv"), row).unwrap();
    let err = link_fails("bad.csv");
    assert!(err.contains("line 3") && err.contains("surname") && err.contains("not valid UTF-8"), "{err}");
    assert!(!err.contains("Zebedee") && !err.contains("Quim"), "no personal data in errors: {err}");
    // Without --strict a run never dies on a row: a value that cannot be read is missing, a
    // row that cannot be read is skipped, and a summary says how many and where (CRLF lines
    // and quoted line breaks counted right), never what.
    let dirty = format!(
        "{header}1,Ann,,Bell,1937-02-29,,1 High St,,Town,SW1A 1AA\n2,Cat,,Dee,07/03/1980,,,,,\n3,Ed,,Fox\n,Gil,,Hay,,,,,,\n4,\"Ivy\nMay\",,Jay,1990-01-01,,,,,\n5,Kit,,Lee,1990-02-30,,,,,\n"
    )
    .replace('\n', "\r\n");
    std::fs::write(p("dirty.csv"), dirty).unwrap();
    let (code, _, err) = output(
        ier()
            .args(["match", "link", "--left"])
            .arg(p("dirty.csv"))
            .arg("--right")
            .arg(p("ref.csv"))
            .arg("--out")
            .arg(p("o.csv")),
    );
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("3 value(s) read as missing and 2 row(s) skipped"), "{err}");
    assert!(err.contains("date_of_birth: a day that does not exist: 2 (line 2, 8)"), "{err}");
    assert!(err.contains("date_of_birth: not a date in the form YYYY-MM-DD: 1 (line 3)"), "{err}");
    assert!(err.contains("row: the wrong number of fields: 1 (line 4)"), "{err}");
    assert!(err.contains("row: the id is empty: 1 (line 5)"), "{err}");
    for value in ["1937-02-29", "07/03/1980", "Gil", "Ann", "Kit"] {
        assert!(!err.contains(value), "{value} in {err}");
    }
    let (code, _, err) = output(
        ier()
            .args(["match", "link", "--strict", "--left"])
            .arg(p("dirty.csv"))
            .arg("--right")
            .arg(p("ref.csv"))
            .arg("--out")
            .arg(p("o.csv")),
    );
    assert_ne!(code, 0);
    assert!(err.contains("line 2, column date_of_birth") && err.contains("that day does not exist"), "{err}");
    let err = link_fails("missing.csv");
    assert!(err.contains("missing.csv"), "{err}");
    let (code, _, err) = output(
        ier()
            .args(["match", "link", "--threshold", "1.5", "--left"])
            .arg(p("left.csv"))
            .arg("--right")
            .arg(p("ref.csv"))
            .arg("--out")
            .arg(p("o.csv")),
    );
    assert_ne!(code, 0);
    assert!(err.contains("--threshold"), "{err}");
}

/// Submit applications straight into a running demo's database (as the journey would).
fn submit_into_demo(data: &std::path::Path, gss: &str, surnames: &[&str]) -> Vec<String> {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let key = std::fs::read_to_string(data.join("data-key")).unwrap();
        let keys = ier_storage::DataKeys::parse(&secrecy::SecretString::from(key.trim().to_owned())).unwrap();
        let backend = ier_storage_sqlite::SqliteBackend::open(&data.join("ier.db")).await.unwrap();
        let store = ier_storage::Store::new(std::sync::Arc::new(backend), keys);
        let mut refs = Vec::new();
        for s in surnames {
            let new = ier_storage::NewApplication {
                language: ier_domain::Language::En,
                gss_code: ier_domain::GssCode::parse(gss).unwrap(),
                details: ier_storage::contract::applicant(s, "CF10 1EP"),
                journey: None,
                facts: Default::default(),
            };
            refs.push(store.citizen().submit(new, chrono::Utc::now()).await.unwrap().reference.to_string());
        }
        refs
    })
}

#[test]
fn ems_poll_gives_up_on_a_refused_connection_after_its_attempts_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let pki = dir.path().join("pki");
    let (code, _, err) = output(ier().args(["ero", "cert", "issue", "--ero", "cardiff", "--pki"]).arg(&pki));
    assert_eq!(code, 0, "{err}");
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let ca = pki.join("ca.pem");
    let clients = dir.path().join("pki-issuer/clients");
    let started = std::time::Instant::now();
    let (code, _, err) = output(
        ier()
            .args(["ems", "poll", "--once", "--attempts", "3", "--connect-timeout", "2", "--server"])
            .arg(format!("https://127.0.0.1:{port}"))
            .arg("--cert")
            .arg(clients.join("cardiff.pem"))
            .arg("--key")
            .arg(clients.join("cardiff.key"))
            .arg("--ca")
            .arg(&ca)
            .arg("--out")
            .arg(dir.path().join("out")),
    );
    assert_ne!(code, 0);
    assert!(err.contains("gave up after 3 attempts: connecting to 127.0.0.1"), "{err}");
    assert_eq!(err.matches("GET /v1/applications: could not connect; trying again in").count(), 2, "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    let (code, _, err) =
        output(ier().args(["ems", "poll", "--attempts", "0", "--cert", "c", "--key", "k", "--ca", "a", "--out", "o"]));
    assert_eq!(code, 2, "{err}");
}

/// Runs `cmd` to its end (at most 60 s: it is killed after that, and the test fails).
fn output_within_a_minute(cmd: &mut Command) -> (i32, String) {
    let mut child = cmd.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("still running after 60 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    (child.wait().unwrap().code().unwrap_or(-1), err)
}

#[test]
fn ero_keeps_the_ca_apart_from_the_listener_and_serve_refuses_a_ca_key_among_its_files() {
    let dir = tempfile::tempdir().unwrap();
    let (pki, issuer) = (dir.path().join("pki"), dir.path().join("pki-issuer"));
    let (code, printed, err) = output(ier().args(["ero", "cert", "issue", "--ero", "cardiff", "--pki"]).arg(&pki));
    assert_eq!(code, 0, "{err}");
    let serial = printed.split("serial ").nth(1).unwrap().split(',').next().unwrap().to_owned();
    assert!(printed.contains(&format!("recorded in: {}", pki.join("issued.txt").display())), "{printed}");
    // The CA and the client's key in the issuer folder; only the CA's certificate for the listener.
    assert!(issuer.join("ca.key").exists() && issuer.join("clients/cardiff.key").exists());
    assert!(pki.join("ca.pem").exists() && !pki.join("ca.key").exists());
    let issued = std::fs::read_to_string(pki.join("issued.txt")).unwrap();
    assert!(issued.lines().any(|l| l.contains(&format!(" {serial} cardiff "))), "{issued}");
    let (code, _, err) = output(ier().args(["ero", "server-cert", "--pki"]).arg(&pki).arg("--name").arg("localhost"));
    assert_eq!(code, 0, "{err}");
    // The issuer folder is never the listener's, nor inside it.
    let (code, _, err) = output(
        ier().args(["ero", "cert", "issue", "--ero", "newport", "--pki"]).arg(&pki).env("IER_CA_DIR", pki.join("ca")),
    );
    assert_ne!(code, 0);
    assert!(err.contains("is the EMS listener's PKI folder"), "{err}");

    // An imported CA's serials are mapped under that CA, by its fingerprint.
    let other = dir.path().join("council");
    let (code, _, err) = output(ier().args(["ero", "cert", "issue", "--ero", "wigan", "--pki"]).arg(&other));
    assert_eq!(code, 0, "{err}");
    let council_ca = dir.path().join("council-issuer/ca.pem");
    let (code, printed, err) =
        output(ier().args(["ero", "ca", "import", "--pki"]).arg(&pki).arg("--file").arg(&council_ca));
    assert_eq!(code, 0, "{err}");
    let fingerprint =
        printed.split("CA fingerprint (SHA-256): ").nth(1).unwrap().split_whitespace().next().unwrap().to_owned();
    assert_eq!(fingerprint.len(), 64, "{printed}");
    let map = |ca: &std::path::Path| {
        let mut c = ier();
        c.args(["ero", "serial", "map", "--serial", "12:34", "--ero", "newport", "--pki"])
            .arg(&pki)
            .arg("--ca")
            .arg(ca);
        c
    };
    let (code, _, err) = output(&mut map(&council_ca));
    assert_eq!(code, 0, "{err}");
    let serials = std::fs::read_to_string(pki.join("serials.txt")).unwrap();
    assert!(serials.contains(&format!("{fingerprint} 1234 newport")), "{serials}");
    let (code, _, err) = output(&mut map(&dir.path().join("council-issuer/clients/wigan.pem")));
    assert_ne!(code, 0);
    assert!(err.contains("--ca must be the issuing CA's certificate") && err.contains("not a CA certificate"), "{err}");

    // `ier serve` refuses to start while the CA's key is among the listener's files, and says what to do.
    std::fs::rename(issuer.join("ca.key"), pki.join("ca.key")).unwrap();
    let key = |id: &str| output(ier().args(["keygen", "--id", id])).1.trim().to_owned();
    let (code, err) = output_within_a_minute(
        ier()
            .arg("serve")
            .env("IER_DATABASE_URL", format!("sqlite:{}", dir.path().join("ier.db").display()))
            .env("IER_DATA_KEYS", key("d1"))
            .env("IER_SESSION_KEYS", key("s1"))
            .env("IER_PKI_DIR", &pki)
            .env("IER_NOTIFY", "simulator")
            .env("IER_PUBLIC_ADDR", "127.0.0.1:0")
            .env("IER_EMS_ADDR", "127.0.0.1:0")
            .env("IER_PORTAL_ADDR", "127.0.0.1:0")
            .env("IER_EVIDENCE_DIR", dir.path().join("evidence"))
            .env("IER_INTERNAL_ADDR", "127.0.0.1:0"),
    );
    assert_ne!(code, 0, "{err}");
    assert!(err.contains(&format!("{} holds a private key", pki.join("ca.key").display())), "{err}");
    assert!(err.contains(&format!("`ier ero ca split --pki {}`", pki.display())), "{err}");
    // So does the issuer.
    let (code, _, err) = output(ier().args(["ero", "cert", "issue", "--ero", "newport", "--pki"]).arg(&pki));
    assert_ne!(code, 0);
    assert!(err.contains("ier ero ca split"), "{err}");

    // `ier ero ca split` moves it back out and records what the CA issued.
    let (code, printed, err) =
        output(ier().args(["ero", "ca", "split", "--pki"]).arg(&pki).arg("--certs").arg(issuer.join("clients")));
    assert_eq!(code, 0, "{err}");
    assert!(issuer.join("ca.key").exists() && !pki.join("ca.key").exists());
    assert!(printed.contains(&format!("serial {serial} for cardiff")), "{printed}");
    let (code, _, err) = output(ier().args(["ero", "cert", "issue", "--ero", "newport", "--pki"]).arg(&pki));
    assert_eq!(code, 0, "{err}");
}

#[test]
fn ems_client_fetches_over_mutual_tls_survives_a_crash_and_is_refused_once_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("ier-data");
    let (demo, lines) = start_demo(&data);
    assert!(lines.concat().contains("EMS client certificates in"), "{lines:?}");
    let clients = data.join("ems-clients");
    let ca = data.join("pki/ca.pem");
    let poll = |ero_cert: &std::path::Path, out: &std::path::Path| {
        let mut c = ier();
        c.args(["ems", "poll", "--once", "--server", &demo.ems, "--cert"])
            .arg(ero_cert.with_extension("pem"))
            .arg("--key")
            .arg(ero_cert.with_extension("key"))
            .arg("--ca")
            .arg(&ca)
            .arg("--out")
            .arg(out);
        c
    };
    let added = submit_into_demo(&data, "W06000015", &["Aberdare", "Barry", "Caerau", "Dinas", "Ely"]);
    let out = dir.path().join("cardiff-out");
    // Killed after writing its third application, before confirming it.
    let (code, _, err) = output(poll(&clients.join("cardiff"), &out).env("IER_EMS_POLL_ABORT_AFTER", "3"));
    assert_eq!(code, 75, "{err}");
    assert_eq!(std::fs::read_dir(out.join("applications")).unwrap().count(), 3);
    // Restarted: everything arrives once, nothing is lost or doubled, and the queue is empty.
    let (code, printed, err) = output(&mut poll(&clients.join("cardiff"), &out));
    assert_eq!(code, 0, "{err}");
    assert!(printed.contains("fetched 6 applications, confirmed 6"), "the unconfirmed page comes again: {printed}");
    let files: Vec<String> = std::fs::read_dir(out.join("applications"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(files.len(), 6, "the demo's Cardiff application and the five added: {files:?}");
    for r in &added {
        assert!(files.contains(&format!("{r}.json")), "{r} missing");
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join(format!("applications/{r}.json"))).unwrap())
                .unwrap();
        assert_eq!(json["gssCode"], "W06000015");
    }
    let csv = std::fs::read_to_string(out.join("applications.csv")).unwrap();
    let rows: Vec<&str> = csv.lines().skip(1).map(|l| l.split(',').next().unwrap()).collect();
    let unique: std::collections::HashSet<_> = rows.iter().collect();
    assert_eq!((rows.len(), unique.len()), (6, 6), "{csv}");
    let (_, printed, _) = output(&mut poll(&clients.join("cardiff"), &out));
    assert!(printed.contains("fetched 0 applications"), "confirmed items left the queue: {printed}");

    // Register checks answered from a register: the Dinas applicant is on it.
    let register = dir.path().join("register.csv");
    std::fs::write(
        &register,
        "ems_elector_id,given_name,surname,date_of_birth,uprn,property,street,postcode,franchise_code,registered_from,registered_until,gss_code\n\
         CDF-1,Siân,DINAS,,,1,High Street,CF10 1EP,G,2020-01-01,,W06000015\n",
    )
    .unwrap();
    let (code, printed, err) = output(poll(&clients.join("cardiff"), &out).arg("--register").arg(&register));
    assert_eq!(code, 0, "{err}");
    assert!(printed.contains("answered 6 register checks"), "{printed}");
    let log = std::fs::read_to_string(out.join("register-checks.csv")).unwrap();
    let dinas = &added[3];
    assert!(log.lines().any(|l| l.contains(dinas.as_str()) && l.ends_with(",1,partial-match")), "{log}");
    assert_eq!(log.lines().filter(|l| l.ends_with(",0,no-match")).count(), 5, "{log}");

    // Another ERO's client sees only its own application.
    let wigan_out = dir.path().join("wigan-out");
    let (code, printed, err) = output(&mut poll(&clients.join("wigan"), &wigan_out));
    assert_eq!(code, 0, "{err}");
    assert!(printed.contains("fetched 1 applications"), "{printed}");
    for r in &added {
        assert!(!wigan_out.join(format!("applications/{r}.json")).exists());
    }

    // A certificate issued now works; revoked, it is refused at the handshake.
    let pki = data.join("pki");
    let certs = dir.path().join("certs");
    let (code, printed, err) =
        output(ier().args(["ero", "cert", "issue", "--ero", "cardiff", "--pki"]).arg(&pki).arg("--out").arg(&certs));
    assert_eq!(code, 0, "{err}");
    let serial = printed.split("serial ").nth(1).unwrap().split(',').next().unwrap().to_owned();
    let (code, _, err) = output(&mut poll(&certs.join("cardiff"), &dir.path().join("x")));
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = output(ier().args(["ero", "cert", "revoke", "--serial", &serial, "--pki"]).arg(&pki));
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = output(&mut poll(&certs.join("cardiff"), &dir.path().join("x")));
    assert_ne!(code, 0);
    assert!(err.contains("refused this client's certificate") && err.contains("Revoked"), "{err}");
    let (code, _, err) = output(ier().args(["ero", "cert", "issue", "--ero", "nowhere", "--pki"]).arg(&pki));
    assert_ne!(code, 0);
    assert!(err.contains("not an ERO the service knows"), "{err}");
    drop(demo);
}

#[test]
fn ems_openapi_prints_the_document() {
    let (code, out, _) = output(ier().args(["ems", "openapi"]));
    assert_eq!(code, 0);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["paths"]["/v1/applications"].is_object());
}

#[test]
fn feedback_export_prints_csv_with_comments_opened_and_nothing_about_who_sent_it() {
    use secrecy::ExposeSecret;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ier.db");
    let key = ier_storage::DataKeys::generate("k1");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        use ier_storage::feedback::{Feedback, FormId, Satisfaction};
        let backend = ier_storage_sqlite::SqliteBackend::open(&db).await.unwrap();
        let store = ier_storage::Store::new(std::sync::Arc::new(backend), ier_storage::DataKeys::parse(&key).unwrap());
        let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&chrono::Utc);
        let sent = [
            (
                Satisfaction::VerySatisfied,
                "Quick, \"easy\",\nthank you",
                Some("/register-to-vote/name"),
                "2026-05-03T10:20:00Z",
            ),
            (Satisfaction::Dissatisfied, "", None, "2026-05-04T13:47:12Z"),
        ];
        for (rating, comment, page, when) in sent {
            let f = Feedback { rating, comment: comment.into(), page: page.map(Into::into) };
            store.citizen().send_feedback(&FormId::generate(), &f, at(when)).await.unwrap();
        }
    });
    let url = format!("sqlite:{}", db.display());
    let (code, out, err) =
        output(ier().args(["feedback", "export", "--database-url", &url]).env("IER_DATA_KEYS", key.expose_secret()));
    assert_eq!(code, 0, "{err}");
    let mut rows = csv::Reader::from_reader(out.as_bytes());
    assert_eq!(rows.headers().unwrap(), vec!["received_at", "rating", "page", "comment"]);
    let rows: Vec<csv::StringRecord> = rows.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(
        rows[0],
        vec!["2026-05-03T10:00Z", "very-satisfied", "/register-to-vote/name", "Quick, \"easy\",\nthank you"]
    );
    assert_eq!(rows[1], vec!["2026-05-04T13:00Z", "dissatisfied", "", ""]);
    let (code, out, _) = output(
        ier()
            .args(["feedback", "export", "--database-url", &url, "--since", "2026-05-04"])
            .env("IER_DATA_KEYS", key.expose_secret()),
    );
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 2, "{out}");
    // The wrong key opens nothing.
    let (code, _, err) = output(
        ier()
            .args(["feedback", "export", "--database-url", &url])
            .env("IER_DATA_KEYS", ier_storage::DataKeys::generate("k1").expose_secret()),
    );
    assert_ne!(code, 0);
    assert!(err.contains("feedback comment"), "{err}");
    let (code, _, err) = output(
        ier()
            .args(["feedback", "export", "--database-url", &url, "--since", "yesterday"])
            .env("IER_DATA_KEYS", key.expose_secret()),
    );
    assert_ne!(code, 0);
    assert!(err.contains("is not a date"), "{err}");
}

/// A one-shot HTTP server on loopback that answers every request with `status`.
fn answering(status: &'static str) -> std::net::SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for mut conn in listener.incoming().flatten() {
            let mut buf = [0u8; 1024];
            let _ = std::io::Read::read(&mut conn, &mut buf);
            let _ = std::io::Write::write_all(
                &mut conn,
                format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").as_bytes(),
            );
        }
    });
    addr
}

#[test]
fn health_exits_0_only_when_the_instance_says_it_is_ready() {
    let ready = answering("200 OK");
    let (code, out, _) = output(ier().args(["health", "--addr", &ready.to_string()]));
    assert_eq!((code, out.trim()), (0, "ready"));
    let draining = answering("503 Service Unavailable");
    let (code, out, _) = output(ier().args(["health", "--addr", &draining.to_string()]));
    assert_eq!(code, 1);
    assert!(out.contains("answered 503"), "{out}");
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let (code, out, _) = output(ier().args(["health", "--addr", &closed.to_string(), "--check", "live"]));
    assert_eq!(code, 1);
    assert!(out.contains("not ready"), "{out}");
}

/// A SQLite database whose audit holds `n` chained rows.
fn audited_database(dir: &std::path::Path, n: u32) -> String {
    let path = dir.join("audit.db");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let backend = ier_storage_sqlite::SqliteBackend::open(&path).await.unwrap();
        let access = |i: u32| ier_storage::ApiAccess {
            at: chrono::Utc::now(),
            request_id: format!("req-{i}"),
            ero_id: ier_domain::EroId::parse("cardiff").unwrap(),
            certificate_serial: "0a1b2c".into(),
            method: "GET".into(),
            route: "/v1/applications".into(),
            target: None,
            status: 200,
            items: Some(i),
        };
        use ier_storage::Backend;
        for chunk in (0..n).collect::<Vec<_>>().chunks(3) {
            backend.record_api_access(&chunk.iter().map(|&i| access(i)).collect::<Vec<_>>()).await.unwrap();
        }
    });
    format!("sqlite:{}", path.display())
}

/// Run SQL on the audit database behind the service's back.
fn tamper(url: &str, sql: &str) {
    let out = Command::new("sqlite3").arg(url.trim_start_matches("sqlite:")).arg(sql).output().expect("sqlite3");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn audit_verify_passes_an_intact_chain_and_names_the_first_row_of_each_kind_of_tampering() {
    let dir = tempfile::tempdir().unwrap();
    let url = audited_database(dir.path(), 10);
    let (code, out, _) = output(ier().args(["audit", "verify", "--database-url", &url]));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("audit chain intact: 10 rows chained"), "{out}");
    assert!(out.contains("head: row 10 hash "), "{out}");
    let backup = dir.path().join("intact.db");
    std::fs::copy(dir.path().join("audit.db"), &backup).unwrap();
    for (sql, expected) in [
        ("UPDATE api_audit SET status = 404 WHERE id = 4", "at row 4: its content"),
        ("DELETE FROM api_audit WHERE id = 6", "at row 7: the row before it in the chain is missing"),
        (
            "UPDATE api_audit SET id = -id WHERE id IN (2, 3); UPDATE api_audit SET id = 5 + id WHERE id IN (-2, -3)",
            "at row 2: its content",
        ),
        ("DELETE FROM api_audit WHERE id >= 9", "at row 9: the rows end before the chain does"),
        ("UPDATE api_audit SET hash = NULL WHERE id = 5", "at row 5: it is not part of the chain"),
    ] {
        std::fs::copy(&backup, dir.path().join("audit.db")).unwrap();
        tamper(&url, sql);
        let (code, out, _) = output(ier().args(["audit", "verify", "--database-url", &url]));
        assert_eq!(code, 1, "{sql}: {out}");
        assert!(out.contains(&format!("AUDIT CHAIN BROKEN {expected}")), "{sql}: {out}");
    }
}

/// A database with applications of Cardiff's: one decided 40 days ago (due
/// for erasure), one decided yesterday, one its EMS never took; their
/// messages all sent. Returns the URL, the data keys and the references.
fn retention_database(dir: &std::path::Path) -> (String, secrecy::SecretString, Vec<String>, Vec<u8>) {
    let path = dir.join("ier.db");
    let key = ier_storage::DataKeys::generate("k1");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (refs, sealed) = runtime.block_on(async {
        use ier_storage::{Backend, JobEffects, Queue};
        let backend = std::sync::Arc::new(ier_storage_sqlite::SqliteBackend::open(&path).await.unwrap());
        ier_storage::contract::seeded_store(backend.clone()).await;
        let store = ier_storage::Store::new(backend.clone(), ier_storage::DataKeys::parse(&key).unwrap());
        let cardiff = store.for_ero(ier_domain::EroId::parse("cardiff").unwrap());
        let now = chrono::Utc::now();
        let ago = |days: i64| now - chrono::Duration::days(days);
        let mut refs = Vec::new();
        for (surname, decided) in [("Oldest", Some(40)), ("Recent", Some(1)), ("Untaken", None)] {
            let new = ier_storage::contract::new_application("W06000015", surname);
            let r = store.citizen().submit(new, ago(60)).await.unwrap().reference;
            if let Some(days) = decided {
                cardiff.confirm_receipts(ago(days + 1), &[(r, true, None)]).await.unwrap();
                cardiff.determine(&r, ago(days), ier_domain::Determination::Approved, &[]).await.unwrap();
            }
            refs.push(r.to_string());
        }
        for queue in Queue::ALL {
            let worker = store.worker(queue, "test");
            for job in worker.claim(now, std::time::Duration::from_secs(60), 100).await.unwrap() {
                worker.complete(&job, now, None, &JobEffects::default()).await.unwrap();
            }
        }
        let oldest = ier_domain::ReferenceNumber::parse(&refs[0]).unwrap();
        let row = backend.application(&ier_domain::EroId::parse("cardiff").unwrap(), &oldest).await.unwrap().unwrap();
        (refs, row.details.blob)
    });
    (format!("sqlite:{}", path.display()), key, refs, sealed)
}

#[test]
fn retention_run_erases_what_is_due_says_how_many_and_leaves_nothing_behind() {
    use secrecy::ExposeSecret;
    let dir = tempfile::tempdir().unwrap();
    let (url, key, refs, sealed) = retention_database(dir.path());
    let db = dir.path().join("ier.db");
    let holds = |bytes: &[u8]| bytes.windows(32).any(|w| w == &sealed[sealed.len() - 32..]);
    let files = [db.clone(), db.with_extension("db-wal")];
    assert!(files.iter().any(|f| holds(&std::fs::read(f).unwrap_or_default())), "the sealed details are stored");
    let (code, out, err) = output(ier().args(["retention", "run", "--dry-run", "--database-url", &url]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("28 days after a decision"), "{out}");
    assert!(out.contains("would erase 1 application(s): cardiff 1"), "{out}");
    let ahead = (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339();
    let (_, out, _) = output(ier().args(["retention", "run", "--dry-run", "--as-of", &ahead, "--database-url", &url]));
    assert!(out.contains("would erase 2 application(s): cardiff 2"), "looking ahead: {out}");
    let (code, _, err) = output(ier().args(["retention", "run", "--as-of", &ahead, "--database-url", &url]));
    assert_ne!(code, 0, "--as-of only counts: it never erases early");
    assert!(err.contains("--dry-run"), "{err}");
    let (code, _, err) = output(ier().args(["retention", "run", "--batch", "0", "--database-url", &url]));
    assert_ne!(code, 0);
    assert!(err.contains("--batch"), "{err}");

    let (code, out, err) = output(ier().args(["retention", "run", "--batch", "1", "--database-url", &url]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("erased 1 application(s): cardiff 1"), "{out}");
    let (_, out, _) = output(ier().args(["retention", "run", "--database-url", &url]));
    assert!(out.contains("erased 0 application(s)"), "once: {out}");
    // Not a byte of the sealed details is left in the database's files.
    for file in &files {
        assert!(!holds(&std::fs::read(file).unwrap_or_default()), "{} still holds it", file.display());
    }
    // ier verify counts it as present and erased, and the others as opened.
    let listed = dir.path().join("refs.txt");
    std::fs::write(&listed, refs.join("\n")).unwrap();
    let (code, out, err) = output(
        ier()
            .args(["verify", "--database-url", &url, "--references"])
            .arg(&listed)
            .env("IER_DATA_KEYS", key.expose_secret()),
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("3 in the database, 2 opened, 1 erased under the retention rules"), "{out}");
    assert!(out.contains("3 listed, 3 found intact"), "{out}");
}

/// Data matching through the reference client: a register of 2,000 electors uploaded over
/// mutual TLS, matched by the demo's worker against a DWP extract, results per elector and
/// per property written; local data then matches people DWP does not know.
#[test]
fn ems_register_uploads_a_register_and_fetches_its_results_per_elector_and_property() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n);
    let (code, _, err) =
        output(ier().args(["synth", "reference", "--seed", "11", "--size", "2000", "--out"]).arg(p("dwp.csv")));
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = output(
        ier()
            .args(["synth", "records", "--seed", "11", "--size", "2000", "--noise", "confirmation", "--out"])
            .arg(p("register.csv"))
            .arg("--truth")
            .arg(p("truth.csv")),
    );
    assert_eq!(code, 0, "{err}");
    // Two newcomers DWP does not know, one with a date that does not exist, a short row, and
    // CRLF line endings throughout.
    let mut register = std::fs::read_to_string(p("register.csv")).unwrap();
    let electors = register.lines().count() - 1 + 2;
    register.push_str("NEW-1,Zebedee,,Quillfeather,1937-02-29,,1 Nowhere Lane,,Cardiff,CF10 1EP\n");
    register.push_str("NEW-2,Xanthe,,Quillfeather,,,1 Nowhere Lane,,Cardiff,CF10 1EP\n");
    register.push_str("SHORT,row\n");
    std::fs::write(p("register.csv"), register.replace('\n', "\r\n")).unwrap();
    let data = p("ier-data");
    let extract = p("dwp.csv");
    let (demo, _) = start_demo_with(&data, &["--dwp-extract", extract.to_str().unwrap()]);
    let clients = data.join("ems-clients");
    let client = |cmd: &[&str]| {
        let mut c = ier();
        c.args(["ems", "register"])
            .args(cmd)
            .args(["--server", &demo.ems, "--cert"])
            .arg(clients.join("cardiff.pem"))
            .arg("--key")
            .arg(clients.join("cardiff.key"))
            .arg("--ca")
            .arg(data.join("pki/ca.pem"));
        c
    };
    let path = |n: &str| p(n).to_str().unwrap().to_owned();
    let register = path("register.csv");
    let (code, printed, err) = output(&mut client(&[
        "upload",
        "--purpose",
        "confirmation",
        "--page-size",
        "700",
        "--wait",
        "--file",
        &register,
    ]));
    assert_eq!(code, 0, "{err}");
    let run = printed.trim().to_owned();
    assert!(run.starts_with("mr-"), "{printed}");
    assert!(err.contains(&format!("{electors} electors uploaded")), "{err}");
    assert!(err.contains("1 row(s) not sent and 1 value(s) sent as missing"), "{err}");
    assert!(err.contains(&format!("the wrong number of fields: 1 (line {})", electors + 2)), "{err}");
    assert!(err.contains(&format!("a day that does not exist: 1 (line {})", electors)), "{err}");
    assert!(!err.contains("Quillfeather") && !err.contains("1937-02-29"), "no values in messages: {err}");
    let (out, props) = (path("results.csv"), path("properties.csv"));
    let (code, _, err) = output(&mut client(&["results", "--run", &run, "--out", &out, "--properties", &props]));
    assert_eq!(code, 0, "{err}");
    let results = std::fs::read_to_string(p("results.csv")).unwrap();
    assert!(results.starts_with("elector_number,matched,dwp_result,dwp_level,dwp_probability,"));
    let rows: Vec<Vec<&str>> = results.lines().skip(1).map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), electors);
    let matched = rows.iter().filter(|r| r[1] == "true").count();
    // The truth: which register rows are people in the extract.
    let truth = std::fs::read_to_string(p("truth.csv")).unwrap();
    let known = truth.lines().skip(1).filter(|l| !l.ends_with(',')).count();
    assert!(matched * 100 >= known * 85, "{matched} matched of {known} known");
    let newcomer = rows.iter().find(|r| r[0] == "NEW-1").unwrap();
    assert_eq!(newcomer[1], "false");
    let properties = std::fs::read_to_string(p("properties.csv")).unwrap();
    assert!(properties.starts_with("property,route,electors,matched,elector_numbers"));
    let home = properties.lines().find(|l| l.contains("NEW-1")).unwrap();
    assert!(home.contains(",route-2,") && home.contains("NEW-2"), "{home}");
    // Council tax names the newcomers, DD/MM/YYYY dates and all.
    std::fs::write(
        p("council-tax.csv"),
        "Account,Name,Born,Address,Post Code\r\n1,Zebedee Quillfeather,01/01/1950,1 Nowhere Lane,CF10 1EP\r\n2,Xanthe Quillfeather,,1 Nowhere Lane,CF10 1EP\r\n",
    )
    .unwrap();
    let local = path("council-tax.csv");
    let (code, _, err) = output(&mut client(&[
        "local-data",
        "--run",
        &run,
        "--column",
        "fullName=Name",
        "--column",
        "dateOfBirth=Born",
        "--column",
        "address=Address",
        "--column",
        "postcode=Post Code",
        "--wait",
        "--file",
        &local,
    ]));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("2 local records stored"), "{err}");
    let out2 = path("results2.csv");
    let (code, _, err) = output(&mut client(&["results", "--run", &run, "--out", &out2]));
    assert_eq!(code, 0, "{err}");
    let results = std::fs::read_to_string(p("results2.csv")).unwrap();
    let newcomer = results.lines().find(|l| l.starts_with("NEW-2,")).unwrap();
    assert!(newcomer.starts_with("NEW-2,true,not-matched,,,matched,"), "{newcomer}");
    // Another ERO's client cannot see the run.
    let mut wigan = ier();
    wigan
        .args(["ems", "register", "results", "--run", &run, "--server", &demo.ems, "--cert"])
        .arg(clients.join("wigan.pem"))
        .arg("--key")
        .arg(clients.join("wigan.key"))
        .arg("--ca")
        .arg(data.join("pki/ca.pem"))
        .arg("--out")
        .arg(p("x.csv"));
    let (code, _, err) = output(&mut wigan);
    assert_ne!(code, 0);
    assert!(err.contains("404"), "{err}");
    drop(demo);
}
