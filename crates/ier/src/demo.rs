//! `ier demo`: the whole service on one machine, on the embedded database,
//! with demo data and no configuration.
//!
//! Creates its data directory (database, a generated data key readable only by
//! its owner), loads councils and EROs, submits a few demo applications the
//! first time, and serves the public site on localhost.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::Utc;
use clap::Args;
use ier_domain::*;
use ier_storage::{DataKeys, NewApplication, Store};
use secrecy::{ExposeSecret, SecretString};

#[derive(Args)]
pub struct DemoArgs {
    /// Where the demo keeps its database and key (created if missing).
    #[arg(long, env = "IER_DATA_DIR", default_value = "ier-data")]
    data_dir: PathBuf,
    /// Address of the public web site.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
}

/// Demo people: real postcodes in each nation, valid NINOs. The same
/// identities are used by later parts of the service (DWP simulator).
pub struct DemoPerson {
    pub given: &'static str,
    pub surname: &'static str,
    pub dob: (&'static str, &'static str, &'static str),
    pub nino: &'static str,
    pub postcode: &'static str,
    pub language: Language,
}

pub const DEMO_PEOPLE: &[DemoPerson] = &[
    DemoPerson {
        given: "Amelia",
        surname: "Clarke",
        dob: ("14", "3", "1988"),
        nino: "JG103759A",
        postcode: "SW1A 2AA",
        language: Language::En,
    },
    DemoPerson {
        given: "Siân",
        surname: "Llewellyn",
        dob: ("2", "9", "2010"),
        nino: "SN425918B",
        postcode: "CF10 1EP",
        language: Language::Cy,
    },
    DemoPerson {
        given: "Callum",
        surname: "MacLeod",
        dob: ("30", "11", "1972"),
        nino: "PR640211C",
        postcode: "EH1 1YZ",
        language: Language::En,
    },
    DemoPerson {
        given: "Gwilym",
        surname: "ap Rhys",
        dob: ("7", "7", "1954"),
        nino: "WK781104D",
        postcode: "LL55 4UR",
        language: Language::Cy,
    },
];

pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(crate::config::env_filter())
        .init();
    std::fs::create_dir_all(&args.data_dir)
        .with_context(|| format!("creating {}", args.data_dir.display()))?;
    let keys = demo_key(&args.data_dir, "data-key", "demo1")?;
    // The demo runs over plain HTTP on localhost, so its cookies are not `Secure`.
    let sessions = ier_citizen_web::session::SessionCodec::new(
        demo_key(&args.data_dir, "session-key", "demo-session1")?,
        false,
    );
    let db = args.data_dir.join("ier.db");
    let fresh = !db.exists();
    let url = format!("sqlite:{}", db.display());
    let store = crate::open::store(&url, keys).await?;
    let locator = crate::open::locator(None)?;
    if fresh {
        seed(&store, &locator).await?;
    }
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("binding {} (is another demo running?)", args.addr))?;
    let base = format!("http://{}", listener.local_addr()?);
    println!("IER demo: data in {}", args.data_dir.display());
    println!("  Public site:       {base}/");
    println!("  Find your council: {base}/find-your-council?postcode=SW1A+1AA");
    println!("  Health:            {base}/health/ready");
    println!("Demo identities (name, date of birth, NINO, postcode):");
    for p in DEMO_PEOPLE {
        println!(
            "  {} {}, {}/{}/{}, {}, {}",
            p.given, p.surname, p.dob.0, p.dob.1, p.dob.2, p.nino, p.postcode
        );
    }
    println!("Press Ctrl-C to stop.");
    let app = ier_citizen_web::router(ier_citizen_web::AppState::new(locator, store, sessions));
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(crate::config::shutdown())
    .await?;
    Ok(())
}

/// A demo key: generated once, kept in the data directory (0600).
fn demo_key(dir: &Path, file: &str, id: &str) -> anyhow::Result<DataKeys> {
    let path = dir.join(file);
    let secret = if path.exists() {
        SecretString::from(
            std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?
                .trim()
                .to_owned(),
        )
    } else {
        let key = DataKeys::generate(id);
        write_private(&path, key.expose_secret())?;
        key
    };
    DataKeys::parse(&secret).with_context(|| format!("{} is not a valid key", path.display()))
}

fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    f.write_all(contents.as_bytes())?;
    Ok(())
}

/// Submit one application for each demo person, as the journey would.
async fn seed(store: &Store, locator: &ier_reference::Locator) -> anyhow::Result<()> {
    use ier_reference::{Gazetteer, SyntheticGazetteer};
    let gazetteer = SyntheticGazetteer::new(locator.directory(), locator.reference());
    let today = Utc::now().date_naive();
    for p in DEMO_PEOPLE {
        let postcode = Postcode::parse(p.postcode)?;
        let address = gazetteer
            .addresses(&postcode)
            .into_iter()
            .next()
            .context("demo postcode has addresses")?;
        let details = ApplicantDetails {
            name: PersonName::parse(p.given, "", p.surname)
                .map_err(|e| anyhow::anyhow!("demo name: {e:?}"))?,
            previous_name: None,
            birth: BirthDetails::Date(DateOfBirth::parse(p.dob.0, p.dob.1, p.dob.2, today)?),
            nationality: Nationality::stated(true, false, vec![])?,
            nino: OrReason::Given(Nino::parse(p.nino)?),
            address: Address {
                uprn: Some(address.uprn),
                lines: vec![format!("{} {}", address.property, address.street)],
                town: address.town.clone(),
                postcode: postcode.clone(),
            },
            previous_address: None,
            open_register: false,
            postal_vote: false,
            contact: Contact::default(),
        };
        let new = NewApplication {
            kind: ApplicationKind::Ordinary,
            language: p.language,
            gss_code: address.gss_code,
            details,
        };
        let receipt = store.submit(new, Utc::now()).await?;
        tracing::info!(reference = %receipt.reference, ero = %receipt.ero_id, "demo application submitted");
    }
    Ok(())
}
