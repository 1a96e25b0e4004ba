//! `ier demo`: the whole service on one machine, on the embedded database,
//! with demo data and no configuration.
//!
//! Creates its data directory (database, a generated data key readable only by
//! its owner), loads councils and EROs, submits a few demo applications the
//! first time, and serves the public site on localhost. It also serves the EMS
//! API over mutual TLS, trusting its own CA (kept in `pki-issuer/`, apart from
//! the listener's `pki/`), and issues client certificates (in `ems-clients/`)
//! for the EROs of the demo applications, so `ier ems poll` can fetch them at
//! once.

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
    /// Address of the EMS API (mutual TLS).
    #[arg(long, default_value = "127.0.0.1:8443")]
    ems_addr: SocketAddr,
    /// Address of the ERO portal (council staff).
    #[arg(long, default_value = "127.0.0.1:8081")]
    portal_addr: SocketAddr,
    #[command(flatten)]
    ops: crate::config::OpsArgs,
    #[command(flatten)]
    dwp: crate::workers::DwpArgs,
}

/// The DWP simulator's reference population: fixed, so the demo identities
/// are the same on every machine.
pub fn reference_population() -> anyhow::Result<ier_synth::Population> {
    Ok(ier_synth::Population::new(2026, DEMO_POPULATION, chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("date"))?)
}

const DEMO_POPULATION: u64 = 200_000;

/// Adults from the reference population: people the DWP simulator knows, to
/// register as. One of each kind of applicant ([`DEMO_KINDS`]), in these nations.
pub fn demo_people(population: &ier_synth::Population, today: chrono::NaiveDate) -> Vec<ier_synth::Person> {
    let wanted = [
        Nation::England,
        Nation::Wales,
        Nation::Scotland,
        Nation::England,
        Nation::England,
        Nation::Scotland,
        Nation::England,
        Nation::England,
    ];
    let mut found: Vec<ier_synth::Person> = Vec::new();
    for i in 0..population.size() {
        if found.len() == wanted.len() {
            break;
        }
        let p = population.person(i);
        let adult = ier_domain::dates::age_on(p.date_of_birth, today) >= 18;
        if adult && p.address.gss_code.nation() == Some(wanted[found.len()]) {
            found.push(p);
        }
    }
    found
}

pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    tracing_subscriber::fmt().with_env_filter(crate::config::env_filter()).init();
    std::fs::create_dir_all(&args.data_dir).with_context(|| format!("creating {}", args.data_dir.display()))?;
    let keys = demo_key(&args.data_dir, "data-key", "demo1")?;
    // The demo runs over plain HTTP on localhost, so its cookies are not `Secure`.
    let sessions =
        ier_citizen_web::session::SessionCodec::new(demo_key(&args.data_dir, "session-key", "demo-session1")?, false);
    let db = args.data_dir.join("ier.db");
    let fresh = !db.exists();
    let url = format!("sqlite:{}", db.display());
    let store = crate::open::store_with_pool(&url, keys, args.ops.db_pool).await?;
    let locator = crate::open::locator(None)?;
    let population = reference_population()?;
    let people = demo_people(&population, Utc::now().date_naive());
    if fresh {
        contacts(&store, &people).await?;
        seed(&store, &people).await?;
        register(&store, &people).await?;
        unmatched(&store, &people).await?;
    }
    // Identity checks: the DWP simulator over the same population, draining the queue.
    let simulator: std::sync::Arc<dyn ier_dwp::IdentityVerifier> =
        std::sync::Arc::new(ier_dwp::DwpSimulator::new(population));
    crate::workers::start_verification(&store, simulator, args.ops.job_lease());
    // Data matching runs over the EMS API: the same population, or an extract (--dwp-extract).
    let mut problems = Vec::new();
    args.dwp.check(&mut problems);
    if let Some(problem) = problems.first() {
        anyhow::bail!("{problem}");
    }
    let dwp = args.dwp.reference();
    crate::workers::start_matching(&store, dwp.clone());
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("binding {} (is another demo running?)", args.addr))?;
    let base = format!("http://{}", listener.local_addr()?);
    // The EMS API: the demo's own CA (apart from the listener's directory), server certificate
    // and a client certificate per demo ERO.
    let pki = args.data_dir.join("pki");
    let clients = args.data_dir.join("ems-clients");
    let eros = demo_pki(&pki, &clients, &people)?;
    let register_file = args.data_dir.join("demo-register.csv");
    demo_register(&register_file)?;
    let council_tax_file = args.data_dir.join("demo-council-tax.csv");
    demo_council_tax(&council_tax_file, &people)?;
    let ems = crate::ero_cmd::start_listener(store.clone(), &pki, args.ems_addr).await?;
    // Messages to applicants: the GOV.UK Notify simulator, whose inbox the demo shows.
    let simulator = std::sync::Arc::new(ier_notify::simulator::NotifySimulator::new());
    crate::workers::NotifySetup::demo(simulator.clone(), &base).start(&store, args.ops.job_lease());
    // Personal data past its retention period is erased every hour.
    crate::retention_cmd::schedule(&store);
    let mut state = ier_citizen_web::AppState::new(locator, store.clone(), sessions);
    state.inbox = Some(std::sync::Arc::new(crate::workers::SimulatorInbox(simulator)));
    state.start_housekeeping();
    let internal = args.ops.start(&store, &mut state).await?;
    // Evidence of identity, and the ERO portal with demo staff accounts for two EROs.
    let files = crate::portal::file_store(&args.data_dir.join("evidence"))?;
    state.evidence = Some(store.evidence_inbox(files.clone()));
    crate::portal::schedule_sweep(&store, files.clone());
    let portal =
        crate::portal::start(&store, files, dwp, None, state.sessions.clone(), args.portal_addr, args.ops.timeouts())
            .await?;
    let staff = demo_staff(&store, &args.data_dir, &people).await?;
    println!("IER demo: data in {}", args.data_dir.display());
    println!("  Public site:       {base}/");
    println!("  Find your council: {base}/find-your-council?postcode=SW1A+1AA");
    println!("  Health:            {base}/health/ready");
    println!("  Check an application: {base}/register-to-vote/status");
    println!("  Am I registered?:  {base}/am-i-registered");
    println!("  Try it without applying: {base}/demo");
    println!("  Messages sent (GOV.UK Notify simulator): {base}/demo/notifications");
    println!("  Service performance: {base}/performance (open data: {base}/performance/data)");
    println!("  Metrics:           http://{internal}/metrics (internal listener)");
    println!("  EMS API:           https://{ems}/v1/applications (mutual TLS; CA {})", pki.join("ca.pem").display());
    println!("  EMS client certificates in {}: {}", clients.display(), eros.join(" "));
    if let Some(ero) = eros.first() {
        println!(
            "  Try: ier ems poll --server https://{ems} --cert {c}/{ero}.pem --key {c}/{ero}.key --ca {ca} --out ems-{ero} --once",
            c = clients.display(),
            ca = pki.join("ca.pem").display()
        );
        println!(
            "  Data matching (a register of {DEMO_REGISTER} electors, most of them people DWP knows): ier ems register upload --server https://{ems} --cert {c}/{ero}.pem --key {c}/{ero}.key --ca {ca} --file {r} --wait, then ier ems register results ... --run <id> --out results.csv --properties properties.csv",
            c = clients.display(),
            ca = pki.join("ca.pem").display(),
            r = register_file.display()
        );
    }
    println!(
        "  ERO portal (council staff): http://{portal}/sign-in (each chooses their own password at first sign-in)"
    );
    for line in staff.lines() {
        println!("    {line}");
    }
    println!(
        "    Local data (the portal's \"Local data\" page): {} (columns FULL_NAME; ADDR1, ADDR2; TOWN; POSTCODE; DOB)",
        council_tax_file.display()
    );
    println!("Demo identities the DWP simulator knows (kind of applicant: name, date of birth, NINO, UK address):");
    for (i, (p, (kind, _))) in people.iter().zip(DEMO_KINDS).enumerate() {
        println!(
            "  {kind}: {} {}, {}, {}, {}{}",
            p.given,
            p.surname,
            p.date_of_birth.format("%-d/%-m/%Y"),
            p.nino,
            p.address.one_line(),
            if REGISTERED.contains(&i) { " (on the register: \"Am I registered?\" says yes)" } else { "" }
        );
    }
    println!("  Each has applied already: walk a journey as one of them and \"Check your answers\" says so.");
    println!("Press Ctrl-C to stop.");
    let health = state.health.clone();
    let app = ier_citizen_web::router(state);
    let shutdown = ier_ops::shutdown_signal(health, std::time::Duration::ZERO);
    ier_ops::listener::serve(listener, app, args.ops.timeouts(), crate::config::DRAIN_REQUESTS, shutdown).await;
    Ok(())
}

/// The demo's PKI: the listener's directory `pki` (the CA's certificate, the registers, the
/// server certificate for localhost), the CA itself apart in `pki-issuer`, and a client
/// certificate for each ERO with a demo application (made once, kept). A data directory from
/// before the split has its CA moved out first. Returns those EROs.
fn demo_pki(pki: &Path, clients: &Path, people: &[ier_synth::Person]) -> anyhow::Result<Vec<String>> {
    let now = Utc::now();
    let issuer_dir = ier_pki::default_issuer_dir(pki);
    if pki.join(ier_pki::files::CA_KEY_FILE).exists() {
        let split = ier_pki::issuer::split(pki, &issuer_dir, &[clients.to_owned()], now)
            .with_context(|| format!("moving the demo's CA from {} to {}", pki.display(), issuer_dir.display()))?;
        tracing::info!(
            from = %pki.display(),
            to = %issuer_dir.display(),
            registered = split.registered.len(),
            "moved the demo's CA key out of the EMS listener's PKI directory"
        );
    }
    let ca = crate::ero_cmd::issuer(&issuer_dir, pki)?;
    if !pki.join("server/ems.pem").exists() {
        ca.issue_server(&[], ier_pki::Validity::days_from(now, 825))?.write_files(&pki.join("server"), "ems")?;
    }
    let reference = ier_reference::ReferenceData::embedded();
    let mut eros: Vec<String> = Vec::new();
    for p in people {
        let Some(council) = reference.council(&p.address.gss_code) else { continue };
        let ero = council.ero_id.clone();
        if eros.contains(&ero.to_string()) {
            continue;
        }
        if !clients.join(format!("{ero}.pem")).exists() {
            ca.issue_ero(&ero, ier_pki::Validity::days_from(now, 365))?.write_files(clients, ero.as_str())?;
        }
        eros.push(ero.to_string());
    }
    Ok(eros)
}

/// A demo key: generated once, kept in the data directory (0600).
fn demo_key(dir: &Path, file: &str, id: &str) -> anyhow::Result<DataKeys> {
    let path = dir.join(file);
    let secret = if path.exists() {
        SecretString::from(
            std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?.trim().to_owned(),
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
    let mut f = options.open(path).with_context(|| format!("creating {}", path.display()))?;
    f.write_all(contents.as_bytes())?;
    Ok(())
}

/// The demo applications: the kind of applicant, and the language they applied in.
pub const DEMO_KINDS: [(ApplicationKind, Language); 8] = [
    (ApplicationKind::Ordinary, Language::En),
    (ApplicationKind::Ordinary, Language::Cy),
    (ApplicationKind::Ordinary, Language::En),
    (ApplicationKind::Ordinary, Language::En),
    (ApplicationKind::Overseas, Language::En),
    (ApplicationKind::Forces, Language::En),
    (ApplicationKind::Crown, Language::En),
    (ApplicationKind::BritishCouncil, Language::Cy),
];

/// What a demo person of each kind tells us beyond the core, as that journey would record it.
fn demo_part(kind: ApplicationKind, today: chrono::NaiveDate) -> anyhow::Result<KindDetails> {
    let text = |s: &str| Text::parse(s, 100).context("demo text");
    let abroad = |country: &str, lines: &[&str]| -> anyhow::Result<OverseasAddress> {
        Ok(OverseasAddress {
            country: CountryCode::parse(country).map_err(|_| anyhow::anyhow!("demo country"))?,
            lines: lines.iter().map(|l| text(l)).collect::<anyhow::Result<_>>()?,
        })
    };
    Ok(match kind {
        ApplicationKind::Ordinary => KindDetails::Ordinary(OrdinaryDetails {
            other_address: OtherAddress::None,
            was_overseas_voter: false,
            postal_vote: PostalVote::InPerson,
        }),
        ApplicationKind::Overseas => KindDetails::Overseas(OverseasDetails {
            last_registered: LastRegistration::Ordinary,
            left_uk: Some(YearMonth::parse("6", "2019", today).context("demo month")?),
            parent_guardian: None,
            citizenship: Some(Citizenship::Passport {
                number: PassportNumber::parse("123456789").context("demo passport")?,
                authority: text("HM Passport Office")?,
                issued: PastDate::parse("1", "2", "2020", today).context("demo date")?,
            }),
            name_change_reason: None,
            address_abroad: abroad("FR", &["12 rue de la Paix", "75002 Paris"])?,
            way_to_vote: WayToVote::ByProxy(FormDelivery::Post),
        }),
        ApplicationKind::Forces => KindDetails::Forces(ForcesDetails {
            statement: ForcesStatement::new(true, false).context("demo statement")?,
            uk_address: UkAddressStatus::NotLivingThere,
            service: Service {
                branch: ServiceBranch::BritishArmy,
                regiment: Some(text("Royal Logistic Corps")?),
                service_number: text("30012345")?,
                rank: text("Corporal")?,
            },
            correspondence: Correspondence::Bfpo { number: 38, lines: vec![text("1 Regiment RLC")?] },
            way_to_vote: WayToVote::ByPost(FormDelivery::Post),
        }),
        ApplicationKind::Crown | ApplicationKind::BritishCouncil => {
            let crown = kind == ApplicationKind::Crown;
            KindDetails::Crown(CrownDetails {
                statement: CrownStatement::new(crown, false, !crown, false).context("demo statement")?,
                uk_address: UkAddressStatus::NotLivingThere,
                job: if crown {
                    Job {
                        title: text("Second Secretary")?,
                        payroll_number: text("FCDO-7781")?,
                        department: text("Foreign, Commonwealth and Development Office")?,
                    }
                } else {
                    Job {
                        title: text("Teacher")?,
                        payroll_number: text("BC-4411")?,
                        department: text("British Council")?,
                    }
                },
                correspondence: Correspondence::Abroad(abroad("JP", &["British Embassy", "1 Ichiban-cho, Tokyo"])?),
                way_to_vote: WayToVote::InPerson,
            })
        }
    })
}

/// The demo people also on their ERO's register (in the person index), so
/// that "Am I registered?" has someone to say yes to.
const REGISTERED: [usize; 2] = [2, 3];

/// Made-up contact details for the demo people's EROs (no real office's are
/// shipped: operators load them with `ier import contacts`), through the same
/// checks as an operator's file. Telephone numbers are from Ofcom's range for
/// drama (01632 960xxx); addresses and domains are marked as the demo's.
async fn contacts(store: &Store, people: &[ier_synth::Person]) -> anyhow::Result<()> {
    let reference = ier_reference::ReferenceData::embedded();
    let mut csv = String::from("ero_id,email,phone,website,address\n");
    let mut done = std::collections::BTreeSet::new();
    for (i, p) in people.iter().enumerate() {
        let Some(council) = reference.council(&p.address.gss_code) else { continue };
        let Some(ero) = reference.ero(&council.ero_id) else { continue };
        if !done.insert(ero.id.clone()) {
            continue;
        }
        let id = ero.id.as_str();
        csv.push_str(&format!(
            "{id},electoral.services@{id}.example,01632 960{i:03},https://{id}.example/elections,\"Electoral Services, {}, Town Hall (demo address)\"\n",
            ero.name.replace('"', "")
        ));
    }
    let contacts = ier_reference::contacts::parse_contacts(&csv, reference)
        .map_err(|p| anyhow::anyhow!("demo contacts: {}", p.first().map(|p| p.to_string()).unwrap_or_default()))?;
    store.backend().put_ero_contacts(&contacts).await?;
    Ok(())
}

/// Electors in the demo's register for data matching.
const DEMO_REGISTER: u64 = 2_000;

/// A register for trying data matching (`ier ems register upload`): electors from the DWP
/// simulator's population as a register holds them (no date of birth or NINO, the usual
/// noise), and some people DWP does not know; written once.
fn demo_register(path: &Path) -> anyhow::Result<()> {
    if path.exists() {
        return Ok(());
    }
    let population = reference_population()?;
    let records = population.register(&ier_synth::NoiseModel::confirmation())?;
    let tmp = path.with_extension("csv.partial");
    let file = std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    ier_synth::write_records_csv(records.take(DEMO_REGISTER as usize), file, std::io::sink())?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

/// A council tax extract for the portal's local data step: the unmatched demo applicant
/// (Morwenna Trevithick, at the first demo person's address), the other demo people, and
/// rows as real extracts have them (a date that does not exist, a short row), with CRLF
/// line ends and upper-case names, as such systems write them.
fn demo_council_tax(path: &Path, people: &[ier_synth::Person]) -> anyhow::Result<()> {
    if path.exists() {
        return Ok(());
    }
    let mut out = String::from("ACCOUNT_REF,FULL_NAME,ADDR1,ADDR2,TOWN,POSTCODE,DOB\r\n");
    let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    for (i, p) in people.iter().enumerate() {
        let name =
            if i == 0 { "MORWENNA TREVITHICK".to_owned() } else { format!("{} {}", p.given, p.surname).to_uppercase() };
        out.push_str(&format!(
            "CT{:06},{},{},{},{},{},{}\r\n",
            100_000 + i,
            quote(&name),
            quote(&format!("{} {}", p.address.property, p.address.street)),
            quote(p.address.locality.as_deref().unwrap_or("")),
            quote(&p.address.town),
            p.address.postcode,
            p.date_of_birth.format("%d/%m/%Y"),
        ));
        if i == 1 {
            out.push_str("CT999998,\"ANNE SHORTROW\",\"1 High Street\"\r\n");
            out.push_str("CT999999,\"LEAP DAY\",\"2 High Street\",\"\",\"Anytown\",\"AB1 2CD\",29/02/1937\r\n");
        }
    }
    write_private(path, &out)
}

/// Put the [`REGISTERED`] demo people on their ERO's register, as its EMS would upload them.
async fn register(store: &Store, people: &[ier_synth::Person]) -> anyhow::Result<()> {
    for &i in &REGISTERED {
        let Some(p) = people.get(i) else { continue };
        let Some(council) = store.citizen().council(&p.address.gss_code).await? else { continue };
        let dob = p.date_of_birth.format("%Y-%m-%d").to_string();
        let postcode = p.address.postcode.compact();
        let person = ier_storage::persons::Person {
            given: &p.given,
            surname: &p.surname,
            date_of_birth: Some(&dob),
            postcode: &postcode,
            line1: &p.address.property,
            line2: &p.address.street,
            uprn: Some(p.address.uprn.get()),
            nino: None,
        };
        store.for_ero(council.ero_id).put_electors(Utc::now(), &[(format!("DEMO-{i}"), person)]).await?;
    }
    Ok(())
}

/// An application DWP cannot match (no National Insurance number given), to the first demo
/// person's ERO, received by its EMS already: for trying the exceptions process in the portal.
async fn unmatched(store: &Store, people: &[ier_synth::Person]) -> anyhow::Result<()> {
    let Some(p) = people.first() else { return Ok(()) };
    let mut details = p.as_applicant();
    details.name = PersonName::parse("Morwenna", "", "Trevithick").map_err(|_| anyhow::anyhow!("demo name"))?;
    details.nino = ier_domain::application::OrReason::NotGiven { reason: "I have never had one".into() };
    details.contact = ier_domain::application::Contact {
        email: Some("morwenna.trevithick@example.com".into()),
        phone: None,
        post: false,
    };
    let new = NewApplication {
        language: Language::En,
        gss_code: p.address.gss_code,
        details,
        journey: None,
        facts: Default::default(),
    };
    let receipt = store.submit(new, Utc::now()).await?;
    // As if the ERO's EMS had fetched it: the portal can then decide it or ask for evidence.
    store.for_ero(receipt.ero_id.clone()).confirm_receipts(Utc::now(), &[(receipt.reference, true, None)]).await?;
    tracing::info!(reference = %receipt.reference, "demo application without a DWP match submitted");
    Ok(())
}

/// Demo staff accounts for the ERO portal: an administrator of the first demo person's ERO and
/// an officer of another ERO (to see that neither sees the other's applications). Made once;
/// what they sign in with is kept in `demo-staff.txt` (readable only by its owner) and printed.
async fn demo_staff(store: &Store, dir: &Path, people: &[ier_synth::Person]) -> anyhow::Result<String> {
    let path = dir.join("demo-staff.txt");
    if path.exists() {
        return std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()));
    }
    let reference = ier_reference::ReferenceData::embedded();
    let mut eros: Vec<EroId> = Vec::new();
    for p in people {
        if let Some(c) = reference.council(&p.address.gss_code)
            && !eros.contains(&c.ero_id)
        {
            eros.push(c.ero_id.clone());
        }
    }
    let mut text = String::new();
    for (ero, role) in eros.iter().zip([ier_storage::staff::Role::Administrator, ier_storage::staff::Role::Officer]) {
        let username = format!("{}@{ero}.example", role.as_str());
        let password = crate::staff_cmd::made_up_password();
        let name = ier_storage::staff::Username::parse(&username).map_err(|e| anyhow::anyhow!("{e}"))?;
        let enrolled = store.staff().add(ero, name, role, SecretString::from(password.clone()), Utc::now()).await?;
        text.push_str(&format!(
            "{} of {ero}: {username}, password {password}, authenticator key {} (recovery codes: {})\n",
            role.as_str(),
            enrolled.secret,
            enrolled.recovery_codes[..3].join(" ")
        ));
    }
    write_private(&path, &text)?;
    Ok(text)
}

/// Submit one application for each demo person, of its kind, as the journeys would.
async fn seed(store: &Store, people: &[ier_synth::Person]) -> anyhow::Result<()> {
    let today = Utc::now().date_naive();
    for (p, (kind, language)) in people.iter().zip(DEMO_KINDS) {
        let mut details = p.as_applicant();
        details.part = demo_part(kind, today)?;
        let new = NewApplication {
            language,
            gss_code: p.address.gss_code,
            details,
            journey: None,
            facts: Default::default(),
        };
        let receipt = store.submit(new, Utc::now()).await?;
        tracing::info!(reference = %receipt.reference, ero = %receipt.ero_id, "demo application submitted");
    }
    Ok(())
}
