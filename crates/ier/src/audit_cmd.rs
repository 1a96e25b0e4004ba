//! `ier audit verify`: checks the hash chain of the EMS API's audit
//! ([`ier_storage::audit_chain`]), streaming every row in id order: exit 0 and the chain's head
//! (worth recording somewhere the database's administrators cannot change) when intact, exit 1
//! naming the first row that breaks it otherwise. The audit holds no personal data.

use clap::Subcommand;
use ier_storage::audit_chain::{Verdict, verify};

#[derive(Subcommand)]
pub enum Audit {
    /// Check that no audit row was changed, removed, reordered or cut off since it was written.
    Verify {
        /// The database: `sqlite:PATH` or `postgres://...`.
        #[arg(long, env = "IER_DATABASE_URL", hide_env_values = true)]
        database_url: String,
    },
}

/// The exit status.
pub fn run(cmd: Audit) -> anyhow::Result<i32> {
    let Audit::Verify { database_url } = cmd;
    crate::runtime()?.block_on(async {
        let backend = crate::open::backend(&database_url, Some(2)).await?;
        let verdict = verify(&*backend).await?;
        let head = backend.audit_chain_head().await?;
        Ok(match verdict {
            Verdict::Intact { chained, older } => {
                let hash: String = head.hash.iter().map(|b| format!("{b:02x}")).collect();
                println!("audit chain intact: {chained} rows chained ({older} older than the chain, not covered)");
                println!("head: row {} hash {hash}", head.last_id);
                0
            }
            Verdict::Broken { id, what } => {
                println!("AUDIT CHAIN BROKEN at row {id}: {what}");
                1
            }
        })
    })
}
