//! Starting the ERO portal (`ier-ero-web`) on its own listener, for `ier demo`
//! and `ier serve`, and the evidence file store both it and the public site's
//! evidence page use.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use ier_storage::evidence::{DirFileStore, FileStore};

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
    forms: Arc<ier_citizen_web::session::SessionCodec>,
    addr: SocketAddr,
    timeouts: ier_ops::listener::Timeouts,
) -> anyhow::Result<SocketAddr> {
    let eros = store.citizen().eros().await.context("reading the EROs")?;
    let state = ier_ero_web::PortalState::new(store, files, forms, eros);
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
