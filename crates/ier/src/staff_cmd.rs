//! `ier ero staff add`: an operator makes the first accounts of an ERO's office
//! for the ERO portal (its administrators then add the rest in the portal).
//! The first password is read from standard input (`--password-stdin`, so it is
//! never in the shell's history or the process list) or made up and printed;
//! the authenticator key and recovery codes are printed once, to be handed to
//! the person in person.

use std::io::Read;

use anyhow::{Context, bail};
use chrono::Utc;
use clap::Args;
use ier_domain::EroId;
use ier_storage::StorageError;
use ier_storage::staff::{Enrolled, Role, Username};
use secrecy::SecretString;

#[derive(Args)]
pub struct AddArgs {
    /// The ERO's id, e.g. cardiff.
    #[arg(long)]
    ero: String,
    /// Their work email address (the username).
    #[arg(long)]
    username: String,
    /// administrator, officer or viewer.
    #[arg(long, default_value = "officer")]
    role: String,
    /// Read the first password from standard input (otherwise one is made up and printed).
    #[arg(long)]
    password_stdin: bool,
    /// The database: `sqlite:PATH` or `postgres://...`.
    #[arg(long, env = "IER_DATABASE_URL", hide_env_values = true)]
    database_url: String,
    /// The data-encryption key(s): the authenticator key is sealed with them.
    #[arg(long, env = "IER_DATA_KEYS", hide_env_values = true)]
    data_keys: SecretString,
}

/// A made-up first password: 20 characters from an alphabet without look-alikes (about 100 bits).
pub fn made_up_password() -> String {
    const ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyz";
    let bytes: [u8; 20] = rand::random();
    let chars: Vec<char> = bytes.iter().map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char).collect();
    chars.chunks(5).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join("-")
}

pub fn add(args: AddArgs) -> anyhow::Result<()> {
    let ero = EroId::parse(&args.ero).map_err(|_| anyhow::anyhow!("--ero: {} is not an ERO id", args.ero))?;
    if ier_reference::ReferenceData::embedded().ero(&ero).is_none() {
        bail!("--ero: there is no ERO {ero} in the reference data");
    }
    let username = Username::parse(&args.username).map_err(|e| anyhow::anyhow!("--username: {e}"))?;
    let role = Role::ALL
        .into_iter()
        .find(|r| r.as_str() == args.role)
        .ok_or_else(|| anyhow::anyhow!("--role: administrator, officer or viewer"))?;
    let (password, made_up) = if args.password_stdin {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s).context("reading the password from standard input")?;
        (s.trim_end_matches(['\r', '\n']).to_owned(), false)
    } else {
        (made_up_password(), true)
    };
    ier_storage::staff::check_password(&password).map_err(|e| anyhow::anyhow!("the password: {e}"))?;
    let keys = ier_storage::DataKeys::parse(&args.data_keys)
        .map_err(|e| anyhow::anyhow!("the data keys (--data-keys or IER_DATA_KEYS) are not valid: {e}"))?;
    let enrolled = crate::runtime()?.block_on(async {
        let store = crate::open::store(&args.database_url, keys).await?;
        match store.staff().add(&ero, username, role, SecretString::from(password.clone()), Utc::now()).await {
            Ok(e) => Ok(e),
            Err(StorageError::Duplicate) => bail!("there is already an account with this username"),
            Err(e) => Err(e.into()),
        }
    })?;
    print_enrolled(&enrolled, made_up.then_some(password.as_str()));
    Ok(())
}

/// What the new member of staff needs, printed once.
pub fn print_enrolled(enrolled: &Enrolled, password: Option<&str>) {
    println!("account {} added", enrolled.id);
    if let Some(p) = password {
        println!("first password: {p}");
    }
    println!("authenticator app key: {}", enrolled.secret);
    println!("or as a link (for a QR code): {}", enrolled.uri);
    println!("recovery codes (each works once):");
    for c in &enrolled.recovery_codes {
        println!("  {c}");
    }
    println!(
        "Give these to the member of staff in person; they are not shown again. They choose their own password when they first sign in."
    );
}
