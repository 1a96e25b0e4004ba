//! Which council and ERO register the people at a postcode.

use ier_domain::{Council, Ero, Jurisdiction, Postcode, PostcodeRegion};

use crate::councils::ReferenceData;
use crate::postcode_directory::PostcodeDirectory;

/// Where an application from a postcode goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route<'a> {
    /// A GB council and its ERO.
    Council { council: &'a Council, ero: &'a Ero },
    /// Northern Ireland: the Electoral Office for Northern Ireland registers electors.
    NorthernIreland,
    /// Channel Islands or Isle of Man: not part of UK electoral registration.
    CrownDependency,
    /// A BFPO number: a forces address, not a place of residence.
    Forces,
    /// Not in the postcode directory (mistyped, or too new: enter the address by hand).
    Unknown,
}

/// Postcode directory plus councils.
#[derive(Clone, Copy)]
pub struct Locator {
    directory: &'static PostcodeDirectory,
    reference: &'static ReferenceData,
}

impl Locator {
    pub fn new(directory: &'static PostcodeDirectory, reference: &'static ReferenceData) -> Self {
        Self { directory, reference }
    }

    /// The shipped postcode table and councils.
    pub fn embedded() -> Self {
        Self::new(PostcodeDirectory::embedded(), ReferenceData::embedded())
    }

    pub fn reference(&self) -> &'static ReferenceData {
        self.reference
    }

    pub fn directory(&self) -> &'static PostcodeDirectory {
        self.directory
    }

    pub fn route(&self, postcode: &Postcode) -> Route<'static> {
        match postcode.region() {
            PostcodeRegion::NorthernIreland => return Route::NorthernIreland,
            PostcodeRegion::ChannelIslands | PostcodeRegion::IsleOfMan => {
                return Route::CrownDependency;
            }
            PostcodeRegion::Forces => return Route::Forces,
            PostcodeRegion::GreatBritain => {}
        }
        let Some(gss) = self.directory.district(postcode) else {
            return Route::Unknown;
        };
        match gss.jurisdiction() {
            Some(Jurisdiction::GreatBritain(_)) => match self.reference.council(&gss) {
                Some(council) => {
                    Route::Council { council, ero: self.reference.ero(&council.ero_id).expect("checked at load") }
                }
                None => Route::Unknown,
            },
            Some(Jurisdiction::NorthernIreland) => Route::NorthernIreland,
            Some(Jurisdiction::ChannelIslands | Jurisdiction::IsleOfMan) => Route::CrownDependency,
            None => Route::Unknown,
        }
    }
}
