//! The layout of the listener's PKI directory and of the issuer's folder, and the small file
//! helpers that keep private keys private (created with mode 0600, refused if group- or
//! world-readable) and replace files atomically.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::PkiError;

/// The CA certificate (PEM): in the issuer's folder, and published to the PKI directory, where
/// the listener trusts it.
pub const CA_CERT_FILE: &str = "ca.pem";
/// The CA private key (PEM, mode 0600): in the issuer's folder only, never in the PKI directory.
pub const CA_KEY_FILE: &str = "ca.key";
/// Further CA certificates the listener trusts (imported production CAs), `*.pem`.
pub const TRUSTED_DIR: &str = "trusted";
/// Certificate revocation lists, `*.pem` or `*.crl` (DER); ours is [`OWN_CRL_FILE`].
pub const CRL_DIR: &str = "crls";
/// The CRL our own CA publishes, inside [`CRL_DIR`].
pub const OWN_CRL_FILE: &str = "ier-ca.crl.pem";
/// The revocation register: one revoked serial a line (see [`crate::revocation`]).
pub const REVOKED_FILE: &str = "revoked.txt";
/// Certificates of imported CAs mapped to EROs, by issuer and serial ([`crate::register`]).
pub const SERIALS_FILE: &str = "serials.txt";
/// Every certificate our CA issued, by issuer and serial, written by the issuer
/// ([`crate::register`]).
pub const ISSUED_FILE: &str = "issued.txt";
/// The listener's own certificate and key (`ems.pem`, `ems.key`), inside the PKI directory.
pub const SERVER_DIR: &str = "server";
/// Where the issuer writes client certificates and keys by default, inside its own folder.
pub const CLIENTS_DIR: &str = "clients";

pub(crate) fn read_to_string(path: &Path) -> Result<String, PkiError> {
    fs::read_to_string(path).map_err(|e| PkiError::io("read", path, e))
}

pub(crate) fn read_optional(path: &Path) -> Result<Option<String>, PkiError> {
    match fs::read_to_string(path) {
        Ok(s) => Ok(Some(s)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(PkiError::io("read", path, e)),
    }
}

pub(crate) fn create_dir(path: &Path) -> Result<(), PkiError> {
    fs::create_dir_all(path).map_err(|e| PkiError::io("create directory", path, e))
}

/// Creates a folder that holds private keys: mode 0700 for a folder it creates.
pub(crate) fn create_private_dir(path: &Path) -> Result<(), PkiError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(path).map_err(|e| PkiError::io("create directory", path, e))
}

/// Writes a new private key file with mode 0600; refuses to overwrite an existing one.
pub(crate) fn write_private_new(path: &Path, contents: &str) -> Result<(), PkiError> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|e| PkiError::io("create", path, e))?;
    file.write_all(contents.as_bytes()).map_err(|e| PkiError::io("write", path, e))?;
    file.sync_all().map_err(|e| PkiError::io("sync", path, e))
}

/// Replaces a public file atomically (temporary file in the same directory, then rename), so a
/// listener reloading at the same moment sees the old file or the new one, never half of one.
pub(crate) fn write_atomic(path: &Path, contents: &str) -> Result<(), PkiError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp: PathBuf = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    {
        let mut file = fs::File::create(&tmp).map_err(|e| PkiError::io("create", &tmp, e))?;
        file.write_all(contents.as_bytes()).map_err(|e| PkiError::io("write", &tmp, e))?;
        file.sync_all().map_err(|e| PkiError::io("sync", &tmp, e))?;
    }
    fs::rename(&tmp, path).map_err(|e| PkiError::io("rename into place", path, e))
}

/// Refuses a private key file that group or others can read (as ssh does).
pub(crate) fn check_private(path: &Path) -> Result<(), PkiError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = fs::metadata(path).map_err(|e| PkiError::io("read", path, e))?;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(PkiError::KeyFileTooOpen { path: path.to_owned(), mode });
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}
