//! Councils (local authorities) and the Electoral Registration Officers who serve them.
//!
//! Each council belongs to exactly one ERO; one ERO may serve several councils
//! (in Scotland an Assessor of a Valuation Joint Board often does).

use serde::{Deserialize, Serialize};

use crate::geography::{GssCode, Nation};
use crate::ids::EroId;

/// A local authority district.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Council {
    pub gss_code: GssCode,
    pub name: String,
    /// Welsh name (Welsh councils).
    pub name_cy: Option<String>,
    pub nation: Nation,
    pub ero_id: EroId,
}

/// An Electoral Registration Officer (in practice, their office).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ero {
    pub id: EroId,
    pub name: String,
    pub name_cy: Option<String>,
    pub contact: EroContact,
}

/// How the public reaches an ERO. Empty until the ERO's details are loaded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EroContact {
    pub email: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub address: Option<String>,
}
