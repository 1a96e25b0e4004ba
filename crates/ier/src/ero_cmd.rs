//! `ier ero ...`: the EMS API's certificates, for operators. The service's own
//! CA issues ERO client certificates (`cert issue`) and the listener's server
//! certificate (`server-cert`); production may trust an external CA instead
//! or as well (`ca import`, with `serial map` for certificates that cannot name
//! their ERO); certificates are revoked with `cert revoke` (the listener sees it
//! on its next connection, no restart). Also: starting the EMS listener for
//! `ier demo` and `ier serve`, with an optional per-ERO IP allow-list
//! (`allowlist.txt` in the PKI directory: `ero-id cidr [cidr ...]` a line).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use chrono::Utc;
use clap::Subcommand;
use ier_domain::EroId;
use ier_pki::{CertificateAuthority, IpAllowList, IpNet, Reason, Serial, ServerIdentity, ServerTls, Validity};
use ier_reference::ReferenceData;
use ier_storage::Store;

#[derive(Subcommand)]
pub enum Ero {
    /// Client certificates for EROs' Electoral Management Software.
    #[command(subcommand)]
    Cert(Cert),
    /// Issue the EMS API listener's server certificate from the service's CA.
    ServerCert {
        #[arg(long, env = "IER_PKI_DIR")]
        pki: PathBuf,
        /// Host names or IP addresses clients connect to (localhost and 127.0.0.1 are always included).
        #[arg(long = "name")]
        names: Vec<String>,
        #[arg(long, default_value_t = 398)]
        days: u32,
    },
    /// External certificate authorities.
    #[command(subcommand)]
    Ca(Ca),
    /// Serial → ERO mappings, for external certificates that do not name their ERO.
    #[command(subcommand)]
    Serial(SerialCmd),
}

#[derive(Subcommand)]
pub enum Cert {
    /// Issue a client certificate for an ERO's EMS (creates the service's CA on first use).
    Issue {
        /// The ERO's id, e.g. cardiff or lothian-vjb.
        #[arg(long)]
        ero: String,
        /// The PKI directory (CA, trust, revocations).
        #[arg(long, env = "IER_PKI_DIR")]
        pki: PathBuf,
        /// Where to write <ero>.pem and <ero>.key (default: the PKI directory's clients/).
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
        #[arg(long, env = "IER_PKI_DIR")]
        pki: PathBuf,
        /// unspecified, key-compromise, affiliation-changed, superseded or cessation-of-operation.
        #[arg(long, default_value = "unspecified")]
        reason: String,
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
}

#[derive(Subcommand)]
pub enum SerialCmd {
    /// Map an external certificate's serial to an ERO.
    Map {
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

/// The service's CA in `pki`, created if there is none.
pub fn ca(pki: &Path) -> anyhow::Result<CertificateAuthority> {
    if pki.join(ier_pki::files::CA_CERT_FILE).exists() {
        CertificateAuthority::load(pki).with_context(|| format!("loading the CA in {}", pki.display()))
    } else {
        CertificateAuthority::create(pki, ier_pki::DEFAULT_CA_NAME, Utc::now())
            .with_context(|| format!("creating a CA in {}", pki.display()))
    }
}

pub fn run(cmd: Ero) -> anyhow::Result<()> {
    match cmd {
        Ero::Cert(Cert::Issue { ero, pki, out, days }) => {
            let ero = known_ero(&ero)?;
            let ca = ca(&pki)?;
            let cert = ca.issue_ero(&ero, Validity::days_from(Utc::now(), days))?;
            let out = out.unwrap_or_else(|| pki.join("clients"));
            cert.write_files(&out, ero.as_str())
                .with_context(|| format!("writing {}/{ero}.pem and .key (they must not exist yet)", out.display()))?;
            println!(
                "issued a certificate for {ero}: serial {}, valid until {}",
                cert.serial,
                cert.not_after.format("%Y-%m-%d")
            );
            println!("  certificate: {}", out.join(format!("{ero}.pem")).display());
            println!("  private key: {} (give it only to the ERO's EMS)", out.join(format!("{ero}.key")).display());
            println!("  CA to trust: {}", pki.join(ier_pki::files::CA_CERT_FILE).display());
        }
        Ero::Cert(Cert::Revoke { serial, pki, reason }) => {
            let serial = Serial::parse(&serial).map_err(|e| anyhow::anyhow!("--serial {e}"))?;
            let reason: Reason = reason.parse().map_err(|e| anyhow::anyhow!("--reason {e}"))?;
            let new = ier_pki::revoke(&pki, serial.clone(), reason, Utc::now())?;
            if new {
                println!("revoked {serial} ({reason}); the EMS API refuses it from its next connection");
            } else {
                println!("{serial} was already revoked");
            }
        }
        Ero::ServerCert { pki, names, days } => {
            let ca = ca(&pki)?;
            let cert = ca.issue_server(&names, Validity::days_from(Utc::now(), days))?;
            let dir = pki.join("server");
            cert.write_files(&dir, "ems")
                .with_context(|| format!("writing {}/ems.pem and .key (they must not exist yet)", dir.display()))?;
            println!("issued the EMS API server certificate: {}", dir.join("ems.pem").display());
        }
        Ero::Ca(Ca::Import { file, pki }) => {
            let pem = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            // Refuse anything that is not a CA certificate before trusting it.
            let mut check = ier_pki::TrustConfig::new();
            check.add_ca_pem(&pem, &file.display().to_string())?;
            let dir = pki.join(ier_pki::files::TRUSTED_DIR);
            std::fs::create_dir_all(&dir)?;
            let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "ca.pem".into());
            let target = dir.join(if name.ends_with(".pem") { name } else { format!("{name}.pem") });
            std::fs::write(&target, pem)?;
            println!("trusting {} for EMS clients", target.display());
        }
        Ero::Serial(SerialCmd::Map { serial, ero, pki }) => {
            let serial = Serial::parse(&serial).map_err(|e| anyhow::anyhow!("--serial {e}"))?;
            let ero = known_ero(&ero)?;
            use std::io::Write;
            let path = pki.join(ier_pki::files::SERIALS_FILE);
            let mut f = std::fs::OpenOptions::new().create(true).append(true).open(&path)?;
            writeln!(f, "{serial} {ero}")?;
            println!("certificates with serial {serial} now speak for {ero}");
        }
    }
    Ok(())
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
