//! `ier ero ...`: the EMS API's certificates, for operators. The service's own
//! CA lives in an issuer folder of its own (`--ca-dir`, `IER_CA_DIR`; by default
//! the PKI directory's name with `-issuer`), never in the PKI directory the
//! listener reads: it issues ERO client certificates (`cert issue`) and the
//! listener's server certificate (`server-cert`), recording each in the PKI
//! directory's `issued.txt`, and publishes its certificate and CRL there.
//! Production may trust an external CA instead or as well (`ca import`, with
//! `serial map --ca` naming the CA of each mapped serial); certificates are
//! revoked with `cert revoke` (the listener sees it on its next connection, no
//! restart). `ca split` moves the CA out of a PKI directory made before the
//! split. Also: starting the EMS listener for `ier demo` and `ier serve`, with an
//! optional per-ERO IP allow-list (`allowlist.txt` in the PKI directory:
//! `ero-id cidr [cidr ...]` a line).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use chrono::Utc;
use clap::{Args, Subcommand};
use ier_domain::EroId;
use ier_pki::register::SERIALS_HEADER;
use ier_pki::{
    CaFingerprint, IpAllowList, IpNet, IssuingCa, Reason, Registration, Serial, ServerIdentity, ServerTls, Validity,
};
use ier_reference::ReferenceData;
use ier_storage::Store;

/// The listener's PKI directory and, apart from it, the issuer folder with the service's CA.
#[derive(Args)]
pub struct Folders {
    /// The EMS listener's PKI directory: the CAs it trusts, the registers of certificates, revocations.
    #[arg(long, env = "IER_PKI_DIR")]
    pki: PathBuf,
    /// The issuer folder: the service's CA certificate and private key, kept apart from the PKI
    /// directory (default: the PKI directory's name with -issuer, e.g. /pki-issuer for /pki).
    #[arg(long = "ca-dir", env = "IER_CA_DIR")]
    ca_dir: Option<PathBuf>,
}

impl Folders {
    fn ca_dir(&self) -> PathBuf {
        self.ca_dir.clone().unwrap_or_else(|| ier_pki::default_issuer_dir(&self.pki))
    }

    /// The service's CA in the issuer folder, created there if there is none.
    fn issuer(&self) -> anyhow::Result<IssuingCa> {
        let dir = self.ca_dir();
        IssuingCa::open_or_create(&dir, &self.pki, Utc::now())
            .with_context(|| format!("opening the CA in {} for {}", dir.display(), self.pki.display()))
    }
}

#[derive(Subcommand)]
pub enum Ero {
    /// Client certificates for EROs' Electoral Management Software.
    #[command(subcommand)]
    Cert(Cert),
    /// Issue the EMS API listener's server certificate from the service's CA (into the PKI directory's server/).
    ServerCert {
        #[command(flatten)]
        folders: Folders,
        /// Host names or IP addresses clients connect to (localhost and 127.0.0.1 are always included).
        #[arg(long = "name")]
        names: Vec<String>,
        #[arg(long, default_value_t = 398)]
        days: u32,
    },
    /// Certificate authorities: import an external one, or move the service's own out of the PKI directory.
    #[command(subcommand)]
    Ca(Ca),
    /// Serial → ERO mappings for an imported CA's certificates, each tied to that CA.
    #[command(subcommand)]
    Serial(SerialCmd),
    /// Staff accounts for the ERO portal.
    #[command(subcommand)]
    Staff(Staff),
}

#[derive(Subcommand)]
pub enum Staff {
    /// Add an account for a member of an ERO's staff: prints its first password (unless given),
    /// authenticator key and recovery codes, once.
    Add(crate::staff_cmd::AddArgs),
}

#[derive(Subcommand)]
pub enum Cert {
    /// Issue a client certificate for an ERO's EMS (creates the service's CA in the issuer folder on first use).
    Issue {
        /// The ERO's id, e.g. cardiff or lothian-vjb.
        #[arg(long)]
        ero: String,
        #[command(flatten)]
        folders: Folders,
        /// Where to write <ero>.pem and <ero>.key (default: the issuer folder's clients/).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Days the certificate is valid.
        #[arg(long, default_value_t = 365)]
        days: u32,
    },
    /// Revoke a certificate by serial (new connections with it are refused at once).
    Revoke {
        /// The serial in hex, as `cert issue` printed it.
        #[arg(long)]
        serial: String,
        #[command(flatten)]
        folders: Folders,
        /// unspecified, key-compromise, affiliation-changed, superseded or cessation-of-operation.
        #[arg(long, default_value = "unspecified")]
        reason: String,
    },
    /// Record certificates the service's CA issued before it kept a register (refused if it did not issue them).
    Register {
        /// A certificate (PEM); repeat for more.
        #[arg(long = "cert", required = true)]
        certs: Vec<PathBuf>,
        #[command(flatten)]
        folders: Folders,
    },
}

#[derive(Subcommand)]
pub enum Ca {
    /// Trust an external CA's certificate (PEM) for EMS clients.
    Import {
        #[arg(long)]
        file: PathBuf,
        #[arg(long, env = "IER_PKI_DIR")]
        pki: PathBuf,
    },
    /// Move the service's CA out of a PKI directory made before issuing was kept apart: ca.key
    /// (and a copy of ca.pem) go to the issuer folder, and the certificates it issued that are
    /// found in the PKI directory's server/ and clients/ (and in each --certs folder) are recorded.
    Split {
        #[command(flatten)]
        folders: Folders,
        /// A further folder of certificates the CA issued (e.g. where --out put them); repeat for more.
        #[arg(long = "certs")]
        certs: Vec<PathBuf>,
    },
}

#[derive(Subcommand)]
pub enum SerialCmd {
    /// Map the serial of a certificate issued by an imported CA to an ERO.
    Map {
        /// The certificate (PEM) of the CA that issued it: the mapping holds for its certificates only.
        #[arg(long)]
        ca: PathBuf,
        #[arg(long)]
        serial: String,
        #[arg(long)]
        ero: String,
        #[arg(long, env = "IER_PKI_DIR")]
        pki: PathBuf,
    },
}

/// The ERO, which must be one the service knows.
fn known_ero(id: &str) -> anyhow::Result<EroId> {
    let ero = EroId::parse(id).map_err(|e| anyhow::anyhow!("--ero {e}"))?;
    if ReferenceData::embedded().ero(&ero).is_none() {
        bail!("--ero {ero} is not an ERO the service knows (see crates/ier-reference/data/eros.csv)");
    }
    Ok(ero)
}

/// The service's CA in the issuer folder `ca_dir` for the PKI directory `pki`, created if
/// there is none (as `ier demo` uses it).
pub fn issuer(ca_dir: &Path, pki: &Path) -> anyhow::Result<IssuingCa> {
    IssuingCa::open_or_create(ca_dir, pki, Utc::now())
        .with_context(|| format!("opening the CA in {} for {}", ca_dir.display(), pki.display()))
}

pub fn run(cmd: Ero) -> anyhow::Result<()> {
    match cmd {
        Ero::Staff(Staff::Add(args)) => return crate::staff_cmd::add(args),
        Ero::Cert(Cert::Issue { ero, folders, out, days }) => {
            let ero = known_ero(&ero)?;
            let ca = folders.issuer()?;
            let cert = ca.issue_ero(&ero, Validity::days_from(Utc::now(), days))?;
            let out = out.unwrap_or_else(|| ca.dir().join(ier_pki::files::CLIENTS_DIR));
            cert.write_files(&out, ero.as_str())
                .with_context(|| format!("writing {}/{ero}.pem and .key (they must not exist yet)", out.display()))?;
            println!(
                "issued a certificate for {ero}: serial {}, valid until {}",
                cert.serial,
                cert.not_after.format("%Y-%m-%d")
            );
            println!("  certificate: {}", out.join(format!("{ero}.pem")).display());
            println!("  private key: {} (give it only to the ERO's EMS)", out.join(format!("{ero}.key")).display());
            println!("  CA to trust: {}", folders.pki.join(ier_pki::files::CA_CERT_FILE).display());
            println!("  recorded in: {}", folders.pki.join(ier_pki::files::ISSUED_FILE).display());
        }
        Ero::Cert(Cert::Revoke { serial, folders, reason }) => {
            let serial = Serial::parse(&serial).map_err(|e| anyhow::anyhow!("--serial {e}"))?;
            let reason: Reason = reason.parse().map_err(|e| anyhow::anyhow!("--reason {e}"))?;
            let ca_dir = folders.ca_dir();
            let new = if ca_dir.join(ier_pki::files::CA_KEY_FILE).exists() {
                IssuingCa::open(&ca_dir, &folders.pki, Utc::now())
                    .with_context(|| format!("opening the CA in {}", ca_dir.display()))?
                    .revoke(serial.clone(), reason, Utc::now())?
            } else {
                let new = ier_pki::revoke(&folders.pki, serial.clone(), reason, Utc::now())?;
                println!(
                    "(no CA in {}: recorded in revoked.txt only, no CRL signed; give --ca-dir if the service's CA issued it)",
                    ca_dir.display()
                );
                new
            };
            if new {
                println!("revoked {serial} ({reason}); the EMS API refuses it from its next connection");
            } else {
                println!("{serial} was already revoked");
            }
        }
        Ero::Cert(Cert::Register { certs, folders }) => {
            let ca_dir = folders.ca_dir();
            let ca = IssuingCa::open(&ca_dir, &folders.pki, Utc::now())
                .with_context(|| format!("opening the CA in {}", ca_dir.display()))?;
            for path in certs {
                let pem = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
                let (registration, added) = ca.register_existing(&pem, &path.display().to_string())?;
                let state = if added { "recorded" } else { "already recorded" };
                println!("{state}: {}", describe(&registration));
            }
        }
        Ero::ServerCert { folders, names, days } => {
            let ca = folders.issuer()?;
            let cert = ca.issue_server(&names, Validity::days_from(Utc::now(), days))?;
            let dir = folders.pki.join(ier_pki::files::SERVER_DIR);
            cert.write_files(&dir, "ems")
                .with_context(|| format!("writing {}/ems.pem and .key (they must not exist yet)", dir.display()))?;
            println!(
                "issued the EMS API server certificate: {} (serial {})",
                dir.join("ems.pem").display(),
                cert.serial
            );
        }
        Ero::Ca(Ca::Import { file, pki }) => {
            let pem = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            // Refuse anything that is not a CA certificate (or that holds a key) before trusting it.
            let mut check = ier_pki::TrustConfig::new();
            check.add_ca_pem(&pem, &file.display().to_string())?;
            let dir = pki.join(ier_pki::files::TRUSTED_DIR);
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "ca.pem".into());
            let target = dir.join(if name.ends_with(".pem") { name } else { format!("{name}.pem") });
            match std::fs::read_to_string(&target) {
                Ok(existing) if existing == pem => println!("{} is trusted already", target.display()),
                Ok(_) => {
                    bail!("{} exists and differs: remove it first, or import under another file name", target.display())
                }
                Err(_) => {
                    std::fs::write(&target, &pem).with_context(|| format!("writing {}", target.display()))?;
                    println!("trusting {} for EMS clients", target.display());
                }
            }
            for fingerprint in check.ca_fingerprints() {
                println!("  CA fingerprint (SHA-256): {fingerprint}");
            }
            println!(
                "  its certificates speak for an ERO only once mapped: ier ero serial map --ca {} --serial HEX --ero ID",
                file.display()
            );
        }
        Ero::Ca(Ca::Split { folders, certs }) => {
            let ca_dir = folders.ca_dir();
            let split = ier_pki::issuer::split(&folders.pki, &ca_dir, &certs, Utc::now())
                .with_context(|| format!("moving the CA from {} to {}", folders.pki.display(), ca_dir.display()))?;
            println!(
                "moved the CA's key from {} to {}; the EMS listener now reads only certificates",
                folders.pki.display(),
                ca_dir.display()
            );
            for (path, registration) in &split.registered {
                println!("  recorded {}: {}", path.display(), describe(registration));
            }
            for path in &split.not_ours {
                println!("  not recorded (not issued by this CA): {}", path.display());
            }
            for path in &split.client_keys {
                println!(
                    "  a client's private key the listener does not need: {} (hand it over, then delete it)",
                    path.display()
                );
            }
            println!(
                "  certificates it issued that are elsewhere: ier ero cert register --pki {} --cert FILE",
                folders.pki.display()
            );
        }
        Ero::Serial(SerialCmd::Map { ca, serial, ero, pki }) => {
            let serial = Serial::parse(&serial).map_err(|e| anyhow::anyhow!("--serial {e}"))?;
            let ero = known_ero(&ero)?;
            let pem = std::fs::read_to_string(&ca).with_context(|| format!("reading {}", ca.display()))?;
            let mut check = ier_pki::TrustConfig::new();
            check.add_ca_pem(&pem, &ca.display().to_string()).context("--ca must be the issuing CA's certificate")?;
            let issuer = CaFingerprint::of_pem(&pem, &ca.display().to_string())?;
            let registration = Registration { issuer, serial: serial.clone(), ero: Some(ero.clone()), not_after: None };
            ier_pki::register::record(&pki, ier_pki::files::SERIALS_FILE, SERIALS_HEADER, registration)?;
            println!("certificates of CA {issuer} with serial {serial} now speak for {ero}");
            match ier_pki::TrustConfig::load_dir(&pki) {
                Ok(trust) if trust.ca_fingerprints().contains(&issuer) => {}
                Ok(_) => println!(
                    "  note: that CA is not among those {} trusts: its certificates are accepted only if it is an intermediate of one that is (ier ero ca import)",
                    pki.display()
                ),
                Err(e) => println!("  note: the EMS listener would refuse {} as it is: {e}", pki.display()),
            }
        }
    }
    Ok(())
}

/// A registration in words, for operators.
fn describe(registration: &Registration) -> String {
    let ero = registration
        .ero
        .as_ref()
        .map(|e| format!("for {e}"))
        .unwrap_or_else(|| "for no ERO (a server certificate)".into());
    format!("serial {} {ero}", registration.serial)
}

/// The IP allow-list in the PKI directory, if there is one.
fn allow_list(pki: &Path) -> anyhow::Result<IpAllowList> {
    let path = pki.join("allowlist.txt");
    let mut list = IpAllowList::new();
    let Ok(text) = std::fs::read_to_string(&path) else { return Ok(list) };
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let mut words = line.split_whitespace();
        let at = || format!("{} line {}", path.display(), i + 1);
        let ero = EroId::parse(words.next().unwrap_or("")).map_err(|e| anyhow::anyhow!("{}: the ERO id {e}", at()))?;
        let nets = words
            .map(|w| w.parse::<IpNet>().map_err(|e| anyhow::anyhow!("{}: {e}", at())))
            .collect::<anyhow::Result<Vec<_>>>()?;
        if nets.is_empty() {
            bail!("{}: give at least one address range after the ERO id", at());
        }
        list.allow(ero, nets);
    }
    Ok(list)
}

/// Bind and serve the EMS API over mutual TLS; returns the address bound.
pub async fn start_listener(store: Store, pki: &Path, addr: SocketAddr) -> anyhow::Result<SocketAddr> {
    let server_dir = pki.join("server");
    let identity =
        ServerIdentity::load(&server_dir.join("ems.pem"), &server_dir.join("ems.key")).with_context(|| {
            format!(
                "loading the EMS API server certificate from {} (make one with `ier ero server-cert`)",
                server_dir.display()
            )
        })?;
    let tls = ServerTls::from_dir(identity, pki).with_context(|| format!("loading trust from {}", pki.display()))?;
    let allow = allow_list(pki)?;
    let listener =
        tokio::net::TcpListener::bind(addr).await.with_context(|| format!("binding the EMS API to {addr}"))?;
    let bound = listener.local_addr()?;
    let router = ier_ems_api::router(ier_ems_api::ApiState::new(store));
    tokio::spawn(ier_pki::EmsServer::new(tls).allow_list(allow).serve(listener, router));
    tracing::info!(addr = %bound, "EMS API listening (mutual TLS)");
    Ok(bound)
}
