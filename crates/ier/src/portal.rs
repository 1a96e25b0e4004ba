//! Starting the ERO portal (`ier-ero-web`) on its own listener, for `ier demo`
//! and `ier serve`, and the evidence file store both it and the public site's
//! evidence page use.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use ier_storage::evidence::{DirFileStore, FileStore};
use secrecy::{ExposeSecret, SecretString};

/// Evidence files in an S3 bucket (production, instead of `IER_EVIDENCE_DIR`).
#[derive(Args, Clone, Debug, Default)]
pub struct S3Args {
    /// Keep evidence files in this S3 bucket instead of IER_EVIDENCE_DIR.
    #[arg(long = "evidence-s3-bucket", env = "IER_EVIDENCE_S3_BUCKET")]
    bucket: Option<String>,
    /// The S3 endpoint (an S3-compatible server's, if not AWS's).
    #[arg(
        long = "evidence-s3-endpoint",
        env = "IER_EVIDENCE_S3_ENDPOINT",
        default_value = "https://s3.eu-west-2.amazonaws.com"
    )]
    endpoint: String,
    #[arg(long = "evidence-s3-region", env = "IER_EVIDENCE_S3_REGION", default_value = "eu-west-2")]
    region: String,
    /// Prepended to every file's key.
    #[arg(long = "evidence-s3-prefix", env = "IER_EVIDENCE_S3_PREFIX", default_value = "evidence/")]
    prefix: String,
    /// Path-style addresses (ENDPOINT/BUCKET/KEY), as most S3-compatible servers need.
    #[arg(long = "evidence-s3-path-style", env = "IER_EVIDENCE_S3_PATH_STYLE")]
    path_style: bool,
    #[arg(long = "evidence-s3-access-key", env = "IER_EVIDENCE_S3_ACCESS_KEY", hide_env_values = true)]
    access_key: Option<SecretString>,
    #[arg(long = "evidence-s3-secret-key", env = "IER_EVIDENCE_S3_SECRET_KEY", hide_env_values = true)]
    secret_key: Option<SecretString>,
}

/// Where evidence files are kept.
#[derive(Debug)]
pub enum Evidence {
    Dir(std::path::PathBuf),
    S3(ier_s3::S3Config),
}

impl S3Args {
    /// The evidence store the settings name: the bucket when one is set, else the directory;
    /// every problem pushed onto `problems`, naming its variable.
    pub fn check(&self, dir: Option<std::path::PathBuf>, problems: &mut Vec<String>) -> Option<Evidence> {
        let Some(bucket) = self.bucket.as_ref().filter(|b| !b.is_empty()) else {
            return match dir.filter(|d| !d.as_os_str().is_empty()) {
                Some(d) => Some(Evidence::Dir(d)),
                None => {
                    problems.push("IER_EVIDENCE_DIR is not set: set it to the directory (a volume every instance shares) for evidence files, or IER_EVIDENCE_S3_BUCKET to keep them in S3".to_owned());
                    None
                }
            };
        };
        let key = |k: &Option<SecretString>| k.as_ref().map(|k| k.expose_secret().to_owned()).unwrap_or_default();
        let config = ier_s3::S3Config {
            endpoint: self.endpoint.clone(),
            bucket: bucket.clone(),
            region: self.region.clone(),
            access_key: key(&self.access_key),
            secret_key: key(&self.secret_key),
            prefix: self.prefix.clone(),
            path_style: self.path_style,
        };
        match ier_s3::S3FileStore::new(&config) {
            Ok(_) => Some(Evidence::S3(config)),
            Err(e) => {
                problems.push(format!(
                    "IER_EVIDENCE_S3_BUCKET is set but the S3 settings cannot be used: {e} (IER_EVIDENCE_S3_ENDPOINT, IER_EVIDENCE_S3_ACCESS_KEY, IER_EVIDENCE_S3_SECRET_KEY)"
                ));
                None
            }
        }
    }
}

impl Evidence {
    pub fn store(&self) -> anyhow::Result<Arc<dyn FileStore>> {
        match self {
            Evidence::Dir(dir) => file_store(dir),
            Evidence::S3(config) => Ok(Arc::new(ier_s3::S3FileStore::new(config)?)),
        }
    }
}

/// The evidence file store in a directory (created if missing, readable only by its owner).
pub fn file_store(dir: &Path) -> anyhow::Result<Arc<dyn FileStore>> {
    let files = DirFileStore::new(dir).with_context(|| format!("creating the evidence directory {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("restricting {}", dir.display()))?;
    }
    Ok(Arc::new(files))
}

/// Bind the portal's listener and serve it in the background; the address it is on.
pub async fn start(
    store: &ier_storage::Store,
    files: Arc<dyn FileStore>,
    dwp: Arc<ier_jobs::matching::DwpReference>,
    oidc: Option<ier_ero_web::oidc::Oidc>,
    forms: Arc<ier_citizen_web::session::SessionCodec>,
    addr: SocketAddr,
    timeouts: ier_ops::listener::Timeouts,
) -> anyhow::Result<SocketAddr> {
    let eros = store.citizen().eros().await.context("reading the EROs")?;
    // The local data step's model learns from the same DWP reference as data matching runs.
    let mut state = ier_ero_web::PortalState::new(store, files, forms, eros).with_dwp(dwp);
    // Offices that sign in with their council's own accounts (the demo has local accounts only).
    if let Some(oidc) = oidc {
        tracing::info!(offices = oidc.eros().len(), "ERO portal: sign-in through councils' providers");
        state = state.with_oidc(oidc);
    }
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding the ERO portal to {addr} (IER_PORTAL_ADDR; is another demo running?)"))?;
    let bound = listener.local_addr()?;
    let app = ier_ero_web::router(state);
    tokio::spawn(ier_ops::listener::serve(
        listener,
        app,
        timeouts,
        crate::config::DRAIN_REQUESTS,
        std::future::pending(),
    ));
    tracing::info!(addr = %bound, "ERO portal listening");
    Ok(bound)
}

/// Every hour, delete from the file store the bytes of evidence files whose rows are gone
/// (erased under the retention rules) a day after they were written.
pub fn schedule_sweep(store: &ier_storage::Store, files: Arc<dyn FileStore>) {
    let store = store.clone();
    tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_secs(90 + rand::random::<u64>() % 240)).await;
        let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            every.tick().await;
            match store.sweep_evidence_files(files.as_ref(), chrono::Utc::now()).await {
                Ok(0) => {}
                Ok(n) => {
                    ier_ops::metrics().erased("evidence-file").inc_by(n);
                    tracing::info!(files = n, "retention: evidence files deleted from the file store");
                }
                Err(e) => {
                    ier_ops::metrics().error("retention").inc();
                    tracing::error!(error = %e, "sweeping evidence files failed; trying again in an hour");
                }
            }
        }
    });
}
