//! Evidence files in S3-compatible object storage: the production [`FileStore`]
//! (the embedded default is [`ier_storage::evidence::DirFileStore`]).
//!
//! Files reach the store already encrypted (each under its own key, sealed by
//! `ier-storage`), so the bucket only ever holds ciphertext; they are written
//! with `PutObject` (which S3 makes durable before it answers), read with
//! `GetObject`, removed with `DeleteObject` and listed (for the retention sweep)
//! with `ListObjectsV2`, under a key prefix. Requests are signed with AWS
//! Signature Version 4 by `rusty-s3` (presigned URLs, valid a minute) and sent
//! by [`ier_ops::client`] (HTTP/1.1, TLS for `https://` endpoints, plain for a
//! local test server). Tested against a real S3-compatible server (moto's) in `tests/`.

use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use http::{Method, StatusCode};
use ier_ops::client::{Target, TargetError};
use ier_storage::evidence::{FileId, FileStore};
use rusty_s3::actions::{ListObjectsV2, S3Action};
use rusty_s3::{Bucket, Credentials, UrlStyle};

/// How long a signed request stays valid.
const SIGNED_FOR: Duration = Duration::from_secs(60);
/// The largest object read back (evidence files are at most a few MiB; listings a few MiB).
const MAX_BODY: usize = 64 * 1024 * 1024;
/// How long one request may take, connection included.
const TIMEOUT: Duration = Duration::from_secs(60);

/// Where the store is and who it is to the server.
#[derive(Clone)]
pub struct S3Config {
    /// The endpoint: `https://s3.eu-west-2.amazonaws.com`, or a compatible server's.
    pub endpoint: String,
    pub bucket: String,
    pub region: String,
    pub access_key: String,
    pub secret_key: String,
    /// Prepended to every file's name (`evidence/`), so a bucket can be shared.
    pub prefix: String,
    /// Path-style addressing (`endpoint/bucket/key`), as most compatible servers need;
    /// otherwise virtual-host style (`bucket.endpoint/key`).
    pub path_style: bool,
}

impl std::fmt::Debug for S3Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Config")
            .field("endpoint", &self.endpoint)
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("prefix", &self.prefix)
            .field("path_style", &self.path_style)
            .finish_non_exhaustive()
    }
}

/// Why a configuration cannot be used (no secrets in the message).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("the S3 endpoint must be an https:// (or, for a local test server, http://) URL with a host")]
    Endpoint,
    #[error("the S3 bucket name is not one S3 accepts")]
    Bucket,
    #[error("the S3 access key and secret key must both be set")]
    Credentials,
    #[error("TLS: {0}")]
    Tls(String),
}

/// The evidence file store in an S3 bucket.
pub struct S3FileStore {
    bucket: Bucket,
    credentials: Credentials,
    prefix: String,
    target: Target,
    list_page: usize,
}

impl S3FileStore {
    pub fn new(config: &S3Config) -> Result<Self, ConfigError> {
        let endpoint: url::Url = config.endpoint.trim().parse().map_err(|_| ConfigError::Endpoint)?;
        if !matches!(endpoint.scheme(), "https" | "http") {
            return Err(ConfigError::Endpoint);
        }
        if config.access_key.is_empty() || config.secret_key.is_empty() {
            return Err(ConfigError::Credentials);
        }
        let style = if config.path_style { UrlStyle::Path } else { UrlStyle::VirtualHost };
        let bucket = Bucket::new(endpoint, style, config.bucket.clone(), config.region.clone())
            .map_err(|_| ConfigError::Bucket)?;
        let target = Target::of(bucket.base_url()).map_err(|e| match e {
            TargetError::Url => ConfigError::Endpoint,
            TargetError::Tls(e) => ConfigError::Tls(e),
        })?;
        Ok(Self {
            bucket,
            credentials: Credentials::new(config.access_key.clone(), config.secret_key.clone()),
            prefix: config.prefix.clone(),
            target,
            list_page: 1000,
        })
    }

    /// List this many names a request (S3's largest page is 1,000; tests use fewer).
    pub fn with_list_page(mut self, names: usize) -> Self {
        self.list_page = names.clamp(1, 1000);
        self
    }

    /// Create the bucket (for a local test server: production buckets are made, with their
    /// encryption, versioning and access policies, by whoever runs the service). One that
    /// exists already and is ours is no error.
    pub async fn create_bucket(&self) -> std::io::Result<()> {
        let url = self.bucket.create_bucket(&self.credentials).sign(SIGNED_FOR);
        match self.send(Method::PUT, url, Bytes::new()).await? {
            (status, _) if status.is_success() || status == StatusCode::CONFLICT => Ok(()),
            (status, _) => Err(failed("CreateBucket", status)),
        }
    }

    fn key(&self, name: &str) -> std::io::Result<String> {
        // Names are ours (`ef-...`): nothing else is ever written or read.
        if FileId::parse(name).is_none() {
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file name of ours"));
        }
        Ok(format!("{}{name}", self.prefix))
    }

    /// Send one signed request; the status and body.
    async fn send(&self, method: Method, url: url::Url, body: Bytes) -> std::io::Result<(StatusCode, Bytes)> {
        self.target.send(method, &url, &[], body, MAX_BODY, TIMEOUT).await
    }
}

/// An S3 answer that is not a success, as an error (the status only: an error body may
/// quote the key, and keys are ours but say nothing useful).
fn failed(what: &str, status: StatusCode) -> std::io::Error {
    std::io::Error::other(format!("S3 {what} answered {}", status.as_u16()))
}

#[async_trait]
impl FileStore for S3FileStore {
    async fn put(&self, name: &str, bytes: Vec<u8>) -> std::io::Result<()> {
        let url = self.bucket.put_object(Some(&self.credentials), &self.key(name)?).sign(SIGNED_FOR);
        let (status, _) = self.send(Method::PUT, url, Bytes::from(bytes)).await?;
        if status.is_success() { Ok(()) } else { Err(failed("PutObject", status)) }
    }

    async fn get(&self, name: &str) -> std::io::Result<Option<Vec<u8>>> {
        let url = self.bucket.get_object(Some(&self.credentials), &self.key(name)?).sign(SIGNED_FOR);
        match self.send(Method::GET, url, Bytes::new()).await? {
            (status, body) if status.is_success() => Ok(Some(body.to_vec())),
            (StatusCode::NOT_FOUND, _) => Ok(None),
            (status, _) => Err(failed("GetObject", status)),
        }
    }

    async fn delete(&self, name: &str) -> std::io::Result<()> {
        let url = self.bucket.delete_object(Some(&self.credentials), &self.key(name)?).sign(SIGNED_FOR);
        match self.send(Method::DELETE, url, Bytes::new()).await? {
            (status, _) if status.is_success() || status == StatusCode::NOT_FOUND => Ok(()),
            (status, _) => Err(failed("DeleteObject", status)),
        }
    }

    async fn list(&self) -> std::io::Result<Vec<(String, DateTime<Utc>)>> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut action = self.bucket.list_objects_v2(Some(&self.credentials));
            action.with_prefix(self.prefix.clone());
            action.with_max_keys(self.list_page);
            if let Some(t) = &token {
                action.with_continuation_token(t.clone());
            }
            let url = action.sign(SIGNED_FOR);
            let (status, body) = self.send(Method::GET, url, Bytes::new()).await?;
            if !status.is_success() {
                return Err(failed("ListObjectsV2", status));
            }
            let page = ListObjectsV2::parse_response(&body)
                .map_err(|e| std::io::Error::other(format!("an S3 listing that does not read: {e}")))?;
            for object in &page.contents {
                let Some(name) = object.key.strip_prefix(self.prefix.as_str()) else { continue };
                if FileId::parse(name).is_none() {
                    continue;
                }
                let Ok(modified) = DateTime::parse_from_rfc3339(&object.last_modified) else { continue };
                out.push((name.to_owned(), modified.with_timezone(&Utc)));
            }
            match page.next_continuation_token {
                Some(t) if !t.is_empty() => token = Some(t),
                _ => return Ok(out),
            }
        }
    }
}
