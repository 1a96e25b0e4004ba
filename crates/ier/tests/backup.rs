//! `ier backup`, `ier restore` and `ier verify` through the command line, as an
//! operator (or the crash-safety harness) uses them: an online backup while a
//! writer inserts, restoring and verifying it, and the specific failures: the
//! wrong key, a corrupt or truncated backup, a tampered row, an existing
//! target, missing references, and a backup from an older schema. The
//! Postgres `verify` test runs when `IER_TEST_POSTGRES_URL` is set.

use std::path::Path;
use std::process::Command;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::Utc;
use ier_domain::{GssCode, Language};
use ier_storage::{DataKeys, NewApplication, Receipt, Store};
use rand::Rng;
use secrecy::ExposeSecret;

fn ier() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ier"));
    for (k, _) in std::env::vars() {
        if k.starts_with("IER_") {
            c.env_remove(k);
        }
    }
    c.env_remove("RUST_BACKTRACE");
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

fn new_key() -> String {
    DataKeys::generate("key1").expose_secret().to_owned()
}

/// A SQLite database with `n` synthetic applications (through `ier seed`), its
/// references written to `refs`.
fn seeded(dir: &Path, n: u32, key: &str) -> (String, std::path::PathBuf) {
    let db = dir.join("live.db");
    let refs = dir.join("seeded.csv");
    let url = format!("sqlite:{}", db.display());
    let (code, out, err) = output(
        ier()
            .args(["seed", "--database-url", &url, "--data-keys", key, "--applications", &n.to_string()])
            .arg("--references-out")
            .arg(&refs),
    );
    assert_eq!(code, 0, "{out}{err}");
    (url, refs)
}

/// `ier backup` of `url` to `out`, which must succeed.
fn back_up(url: &str, out: &Path) {
    let (code, _, err) = output(ier().args(["backup", "--database-url", url, "--out"]).arg(out));
    assert_eq!(code, 0, "{err}");
}

fn write_refs(path: &Path, receipts: &[Receipt]) {
    let text: String = receipts.iter().map(|r| format!("{},{}\n", r.reference, r.ero_id)).collect();
    std::fs::write(path, text).unwrap();
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

#[test]
fn an_online_backup_taken_while_a_writer_inserts_restores_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let key = new_key();
    let (url, seeded_refs) = seeded(dir.path(), 1500, &key);
    let db = dir.path().join("live.db");

    // A writer inserting into the live database (as `ier serve` would) the whole time.
    let stop = Arc::new(AtomicBool::new(false));
    let receipts = Arc::new(std::sync::Mutex::new(Vec::<Receipt>::new()));
    let writer = {
        let (stop, receipts, key, db) = (stop.clone(), receipts.clone(), key.clone(), db.clone());
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                let backend = ier_storage_sqlite::SqliteBackend::open(&db).await.unwrap();
                let store = Store::new(Arc::new(backend), DataKeys::parse(&key.into()).unwrap());
                let gss = GssCode::parse("W06000015").unwrap();
                while !stop.load(Ordering::Relaxed) {
                    let batch = (0..20)
                        .map(|_| NewApplication {
                            language: Language::Cy,
                            gss_code: gss,
                            details: ier_storage::contract::applicant("Writer", "CF10 1AA"),
                            journey: None,
                            facts: Default::default(),
                        })
                        .collect();
                    let got = store.submit_many(batch, Utc::now()).await.unwrap();
                    receipts.lock().unwrap().extend(got);
                }
            })
        })
    };
    while receipts.lock().unwrap().len() < 200 {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let before_backup: Vec<Receipt> = receipts.lock().unwrap().clone();
    let backup = dir.path().join("backups/ier-backup.db");
    std::fs::create_dir_all(backup.parent().unwrap()).unwrap();
    let (code, out, err) = output(ier().args(["backup", "--database-url", &url, "--json", "--out"]).arg(&backup));
    let during_backup = receipts.lock().unwrap().len();
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();
    assert_eq!(code, 0, "{out}{err}");
    let report = json(&out);
    assert_eq!(report["ok"], true);
    let in_backup = report["applications"].as_u64().unwrap() as usize;
    assert!(in_backup >= 1500 + before_backup.len(), "{out}");
    assert_eq!(report["events"].as_u64().unwrap() as usize, 2 * in_backup, "{out}");
    assert!(report["bytes"].as_u64().unwrap() > 0);
    assert!(during_backup > before_backup.len(), "the writer kept writing during the backup");
    assert!(!dir.path().join("backups/ier-backup.db.partial").exists());

    // Restore into a fresh path and verify: every application opens, none went missing.
    let restored = dir.path().join("restored/ier.db");
    let restored_url = format!("sqlite:{}", restored.display());
    let (code, out, err) = output(
        ier()
            .args(["restore", "--database-url", &restored_url, "--json", "--from"])
            .arg(&backup)
            .env("IER_DATA_KEYS", &key),
    );
    assert_eq!(code, 0, "{out}{err}");
    let report = json(&out);
    assert_eq!(report["ok"], true, "{out}");
    assert_eq!(report["applications"].as_u64().unwrap() as usize, in_backup);
    assert_eq!(report["decrypted"].as_u64().unwrap() as usize, in_backup);
    assert_eq!(report["missing_from_backup"], 0);

    // Every receipt given before the backup began is in it, under its ERO, intact.
    let refs = dir.path().join("before-backup.csv");
    write_refs(&refs, &before_backup);
    for list in [&refs, &seeded_refs] {
        let (code, out, err) = output(
            ier()
                .args(["verify", "--database-url", &restored_url, "--data-keys", &key, "--json", "--references"])
                .arg(list),
        );
        assert_eq!(code, 0, "{out}{err}");
        let report = json(&out);
        assert_eq!(report["references"]["missing"].as_array().unwrap().len(), 0);
    }
    // And the live database has everything the writer was told was stored.
    let all = dir.path().join("all.csv");
    write_refs(&all, &receipts.lock().unwrap());
    let (code, out, err) =
        output(ier().args(["verify", "--database-url", &url, "--data-keys", &key, "--references"]).arg(&all));
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("verify OK"), "{out}");
}

#[test]
fn restore_and_verify_with_the_wrong_key_fail_and_say_so() {
    let dir = tempfile::tempdir().unwrap();
    let key = new_key();
    let (url, _) = seeded(dir.path(), 50, &key);
    let backup = dir.path().join("b.db");
    back_up(&url, &backup);
    let target = format!("sqlite:{}", dir.path().join("r.db").display());
    let wrong = new_key();
    let (code, out, err) =
        output(ier().args(["restore", "--database-url", &target, "--data-keys", &wrong, "--from"]).arg(&backup));
    assert_eq!(code, 3, "{out}{err}");
    assert!(err.contains("restore FAILED verification: 50 of 50 application(s) could not be opened"), "{err}");
    assert!(err.contains("are these the data keys they were sealed with?"), "{err}");
    // A key ring without the key the rows name says which key is missing.
    let other_id = DataKeys::generate("key2").expose_secret().to_owned();
    let (code, out, err) = output(ier().args(["verify", "--database-url", &target, "--data-keys", &other_id]));
    assert_eq!(code, 3, "{out}{err}");
    assert!(err.contains("sealed with key 'key1', which is not in the key ring"), "{err}");
    // The right key verifies the restored database.
    let (code, out, err) = output(ier().args(["verify", "--database-url", &target, "--data-keys", &key]));
    assert_eq!(code, 0, "{out}{err}");
    // Not a key at all: a clear error before anything is read.
    let (code, _, err) = output(ier().args(["verify", "--database-url", &target, "--data-keys", "nonsense"]));
    assert_eq!(code, 1);
    assert!(err.contains("the data keys (--data-keys or IER_DATA_KEYS) are not valid"), "{err}");
}

#[test]
fn corrupt_truncated_and_foreign_backups_are_refused_with_a_specific_message() {
    let dir = tempfile::tempdir().unwrap();
    let key = new_key();
    let (url, _) = seeded(dir.path(), 400, &key);
    let backup = dir.path().join("b.db");
    back_up(&url, &backup);
    let bytes = std::fs::read(&backup).unwrap();
    let restore = |file: &Path, name: &str| {
        let target = dir.path().join(format!("{name}.db"));
        let r = output(
            ier()
                .args(["restore", "--data-keys", &key, "--database-url", &format!("sqlite:{}", target.display())])
                .arg("--from")
                .arg(file),
        );
        assert!(!target.exists(), "nothing is left at the target after a refused restore");
        r
    };

    let truncated = dir.path().join("truncated.db");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let (code, _, err) = restore(&truncated, "t");
    assert_eq!(code, 1);
    assert!(err.contains("the backup cannot be restored") && err.contains("truncated.db is truncated"), "{err}");

    let foreign = dir.path().join("foreign.db");
    std::fs::write(&foreign, b"a spreadsheet, not a database; ".repeat(40)).unwrap();
    let (code, _, err) = restore(&foreign, "f");
    assert_eq!(code, 1);
    assert!(err.contains("is not a SQLite database (its header is wrong)"), "{err}");

    // Pages overwritten in the middle: the integrity check finds it.
    let corrupt = dir.path().join("corrupt.db");
    let mut damaged = bytes.clone();
    let page = 4096;
    for p in (damaged.len() / page / 3)..(damaged.len() / page / 3 + 4) {
        for b in &mut damaged[p * page + 8..(p + 1) * page] {
            *b = 0x5a;
        }
    }
    std::fs::write(&corrupt, &damaged).unwrap();
    let (code, _, err) = restore(&corrupt, "c");
    assert_eq!(code, 1);
    assert!(err.contains("the backup cannot be restored") && err.contains("corrupt.db is corrupt"), "{err}");

    let (code, _, err) = restore(&dir.path().join("no-such-backup.db"), "n");
    assert_eq!(code, 1);
    assert!(err.contains("there is no backup file at"), "{err}");
}

#[test]
fn a_tampered_row_is_named_by_its_reference() {
    let dir = tempfile::tempdir().unwrap();
    let key = new_key();
    let (url, refs) = seeded(dir.path(), 30, &key);
    let victim = std::fs::read_to_string(&refs).unwrap().lines().nth(7).unwrap().split(',').next().unwrap().to_owned();
    let db = dir.path().join("live.db");
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
        let pool = sqlx::SqlitePool::connect(&format!("sqlite:{}", db.display())).await.unwrap();
        // Flip one bit of the sealed details.
        let mut blob: Vec<u8> = sqlx::query_scalar("SELECT details FROM applications WHERE reference = ?")
            .bind(&victim)
            .fetch_one(&pool)
            .await
            .unwrap();
        blob[20] ^= 1;
        sqlx::query("UPDATE applications SET details = ? WHERE reference = ?")
            .bind(&blob)
            .bind(&victim)
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    });
    let (code, out, err) = output(
        ier().args(["verify", "--database-url", &url, "--data-keys", &key, "--json", "--references"]).arg(&refs),
    );
    assert_eq!(code, 3, "{out}{err}");
    let report = json(&out);
    assert_eq!(report["ok"], false);
    assert_eq!(report["decrypted"], 29);
    assert_eq!(report["failed"], 1);
    assert_eq!(report["failures"][0]["reference"], victim.as_str());
    assert_eq!(report["references"]["found"], 29);
    assert_eq!(report["references"]["corrupt"], serde_json::json!([victim]));
    assert!(err.contains("1 of 30 application(s) could not be opened"), "{err}");
}

#[test]
fn restore_refuses_to_overwrite_a_database_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let key = new_key();
    let (url, _) = seeded(dir.path(), 20, &key);
    let backup = dir.path().join("b.db");
    back_up(&url, &backup);
    // A backup is never written over either.
    let (code, _, err) = output(ier().args(["backup", "--database-url", &url, "--out"]).arg(&backup));
    assert_eq!(code, 1);
    assert!(err.contains("already exists: give the backup a new name"), "{err}");

    let live = dir.path().join("live.db");
    let before = std::fs::metadata(&live).unwrap().len();
    let (code, _, err) =
        output(ier().args(["restore", "--database-url", &url, "--data-keys", &key, "--from"]).arg(&backup));
    assert_eq!(code, 1);
    assert!(err.contains("a database already exists at") && err.contains("pass --force to replace it"), "{err}");
    assert_eq!(std::fs::metadata(&live).unwrap().len(), before);

    // Seed more into the live database, then force the backup back over it: the extra rows go.
    let (code, _, err) =
        output(ier().args(["seed", "--database-url", &url, "--data-keys", &key, "--applications", "5"]));
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = output(
        ier()
            .args(["restore", "--force", "--json", "--database-url", &url, "--data-keys", &key, "--from"])
            .arg(&backup),
    );
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(json(&out)["applications"], 20);
}

#[test]
fn verify_fails_on_missing_references_and_on_references_under_another_ero() {
    let dir = tempfile::tempdir().unwrap();
    let key = new_key();
    let (url, refs) = seeded(dir.path(), 40, &key);
    let text = std::fs::read_to_string(&refs).unwrap();
    let first = text.lines().next().unwrap().split(',').next().unwrap().to_owned();
    let absent = ier_domain::ReferenceNumber::generate(&mut rand::rng()).to_string();
    let list = dir.path().join("list.txt");
    // Bare references, one with another ERO than its own, and one never stored.
    std::fs::write(&list, format!("{text}{first},not-its-ero\n{absent}\n")).unwrap();
    let (code, out, err) = output(
        ier().args(["verify", "--database-url", &url, "--data-keys", &key, "--json", "--references"]).arg(&list),
    );
    assert_eq!(code, 3, "{out}{err}");
    let report = json(&out);
    assert_eq!(report["applications"], 40);
    assert_eq!(report["decrypted"], 40);
    assert_eq!(report["references"]["listed"], 42);
    assert_eq!(report["references"]["found"], 40);
    assert_eq!(report["references"]["missing"], serde_json::json!([absent]));
    assert_eq!(report["references"]["wrong_ero"], serde_json::json!([first]));
    assert!(err.contains("1 listed reference(s) missing"), "{err}");

    let (code, out, _) =
        output(ier().args(["verify", "--database-url", &url, "--data-keys", &key, "--references"]).arg(&list));
    assert_eq!(code, 3);
    assert!(out.contains(&format!("missing: {absent}")) && out.contains("verify FAILED"), "{out}");

    // A malformed list is an error that names the line, not a verification result.
    std::fs::write(&list, format!("{first}\nnot a reference\n")).unwrap();
    let (code, _, err) =
        output(ier().args(["verify", "--database-url", &url, "--data-keys", &key, "--references"]).arg(&list));
    assert_eq!(code, 1);
    assert!(err.contains("list.txt line 2: the first field is not a reference number"), "{err}");
    assert!(!err.contains("not a reference\n"));
}

#[test]
fn backup_and_restore_point_postgres_at_its_own_procedure() {
    let (code, _, err) =
        output(ier().args(["backup", "--database-url", "postgres://x@localhost/ier", "--out", "x.db"]));
    assert_eq!(code, 1);
    assert!(err.contains("back up Postgres with its own tools") && err.contains("docs/OPERATIONS.md"), "{err}");
    let (code, _, err) = output(ier().args([
        "restore",
        "--database-url",
        "postgres://x@localhost/ier",
        "--from",
        "x.db",
        "--data-keys",
        &new_key(),
    ]));
    assert_eq!(code, 1);
    assert!(err.contains("point-in-time recovery") && err.contains("docs/OPERATIONS.md"), "{err}");
    let (code, _, err) =
        output(ier().args(["backup", "--database-url", "sqlite:/nonexistent/ier.db", "--out", "x.db"]));
    assert_eq!(code, 1);
    assert!(err.contains("there is no SQLite database at /nonexistent/ier.db"), "{err}");
}

/// A database made by an older `ier` (schema version 1: before the EMS
/// columns, register checks and the ERO-clustered table) backs up, restores,
/// migrates to the current version and verifies.
#[test]
fn a_backup_from_an_older_schema_is_migrated_on_restore() {
    let dir = tempfile::tempdir().unwrap();
    let key = new_key();
    let keys = DataKeys::parse(&key.clone().into()).unwrap();
    let old = dir.path().join("old.db");
    let migrations = dir.path().join("migrations-v1");
    std::fs::create_dir_all(&migrations).unwrap();
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ier-storage-sqlite/migrations/0001_initial.sql");
    std::fs::copy(&source, migrations.join("0001_initial.sql")).unwrap();
    let references: Vec<String> = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(
        async {
            let options = sqlx::sqlite::SqliteConnectOptions::from_str(&format!("sqlite:{}", old.display()))
                .unwrap()
                .create_if_missing(true)
                .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal);
            let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
            sqlx::migrate::Migrator::new(migrations.as_path()).await.unwrap().run(&pool).await.unwrap();
            sqlx::query("INSERT INTO eros (id, name) VALUES ('cardiff', 'Cardiff ERO')").execute(&pool).await.unwrap();
            sqlx::query(
                "INSERT INTO councils (gss_code, name, nation, ero_id) VALUES ('W06000015', 'Cardiff', 'wales', 'cardiff')",
            )
            .execute(&pool)
            .await
            .unwrap();
            let mut refs = Vec::new();
            for i in 0..25 {
                let reference = ier_domain::ReferenceNumber::generate(&mut rand::rng());
                let details =
                    serde_json::to_vec(&ier_storage::contract::applicant(&format!("Old{}", "x".repeat(i % 5)), "CF10 1AA"))
                        .unwrap();
                let sealed = keys.seal(&details, reference.as_str().as_bytes());
                sqlx::query(
                    "INSERT INTO applications (reference, ero_id, gss_code, kind, language, stage, submitted_at, key_id, details)
                     VALUES (?, 'cardiff', 'W06000015', 'ordinary', 'cy', 'submitted', ?, ?, ?)",
                )
                .bind(reference.as_str())
                .bind(Utc::now())
                .bind(&sealed.key_id)
                .bind(&sealed.blob)
                .execute(&pool)
                .await
                .unwrap();
                refs.push(format!("{reference},cardiff"));
            }
            pool.close().await;
            refs
        },
    );
    let backup = dir.path().join("old-backup.db");
    let (code, out, err) = output(
        ier().args(["backup", "--json", "--database-url", &format!("sqlite:{}", old.display()), "--out"]).arg(&backup),
    );
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(json(&out)["schema_version"], 1);
    let target = format!("sqlite:{}", dir.path().join("new.db").display());
    let (code, out, err) = output(
        ier().args(["restore", "--json", "--database-url", &target, "--data-keys", &key, "--from"]).arg(&backup),
    );
    assert_eq!(code, 0, "{out}{err}");
    let report = json(&out);
    assert_eq!(report["backup_schema_version"], 1);
    assert!(report["schema_version"].as_i64().unwrap() >= 3, "{out}");
    assert_eq!(report["decrypted"], 25);
    let list = dir.path().join("old.csv");
    std::fs::write(&list, references.join("\n")).unwrap();
    let (code, out, err) =
        output(ier().args(["verify", "--database-url", &target, "--data-keys", &key, "--references"]).arg(&list));
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("25 listed, 25 found intact"), "{out}");
}

/// `ier verify` on Postgres (a fresh schema, dropped afterwards), with the
/// references `ier seed` handed out, one missing and one tampered row.
#[test]
fn verify_works_on_postgres() {
    let Ok(base) = std::env::var("IER_TEST_POSTGRES_URL") else {
        eprintln!("skipped: IER_TEST_POSTGRES_URL is not set");
        return;
    };
    let schema = format!("ier_test_{:016x}", rand::rng().random::<u64>());
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let admin = rt.block_on(sqlx::PgPool::connect(&base)).unwrap();
    rt.block_on(sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&admin)).unwrap();
    struct Drop_(tokio::runtime::Runtime, sqlx::PgPool, String);
    impl Drop for Drop_ {
        fn drop(&mut self) {
            let _ = self.0.block_on(sqlx::query(&format!("DROP SCHEMA {} CASCADE", self.2)).execute(&self.1));
        }
    }
    let _guard = Drop_(rt, admin, schema.clone());
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
    let dir = tempfile::tempdir().unwrap();
    let key = new_key();
    let refs = dir.path().join("refs.csv");
    let (code, out, err) = output(
        ier()
            .args(["seed", "--database-url", &url, "--data-keys", &key, "--applications", "300", "--batch", "100"])
            .arg("--references-out")
            .arg(&refs),
    );
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = output(
        ier().args(["verify", "--json", "--database-url", &url, "--data-keys", &key, "--references"]).arg(&refs),
    );
    assert_eq!(code, 0, "{out}{err}");
    let report = json(&out);
    assert_eq!(report["database"], "postgres");
    assert_eq!(report["applications"], 300);
    assert_eq!(report["decrypted"], 300);
    assert_eq!(report["references"]["found"], 300);

    let victim = std::fs::read_to_string(&refs).unwrap().lines().next().unwrap().split(',').next().unwrap().to_owned();
    let absent = ier_domain::ReferenceNumber::generate(&mut rand::rng()).to_string();
    std::fs::write(&refs, format!("{}{absent}\n", std::fs::read_to_string(&refs).unwrap())).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let pool = sqlx::PgPool::connect(&url).await.unwrap();
        sqlx::query(
            "UPDATE applications SET details = set_byte(details, 20, get_byte(details, 20) # 1) WHERE reference = $1",
        )
        .bind(&victim)
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;
    });
    let (code, out, err) = output(
        ier().args(["verify", "--json", "--database-url", &url, "--data-keys", &key, "--references"]).arg(&refs),
    );
    assert_eq!(code, 3, "{out}{err}");
    let report = json(&out);
    assert_eq!(report["failed"], 1);
    assert_eq!(report["references"]["corrupt"], serde_json::json!([victim]));
    assert_eq!(report["references"]["missing"], serde_json::json!([absent]));
}
