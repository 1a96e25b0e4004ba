//! Addresses by postcode and by UPRN.
//!
//! [`Gazetteer`] is what a real address service (Ordnance Survey AddressBase /
//! OS Places) would implement. AddressBase is not open data, so the service's
//! default is [`SyntheticGazetteer`]: for every real postcode in the postcode
//! directory it makes the same plausible addresses every time (house numbers,
//! flats, streets named in English, or in Welsh for Welsh councils), each with a
//! UPRN that encodes the postcode's place in the directory, so an address can
//! be found again from its UPRN alone.

use ier_domain::{Council, GssCode, Nation, Postcode, Uprn};

use crate::councils::ReferenceData;
use crate::postcode_directory::PostcodeDirectory;

/// One address as a gazetteer gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GazetteerAddress {
    pub uprn: Uprn,
    /// "Flat 2, 14" or "14" or a house name.
    pub property: String,
    pub street: String,
    pub locality: Option<String>,
    pub town: String,
    pub postcode: Postcode,
    pub gss_code: GssCode,
}

impl GazetteerAddress {
    /// The address on one line, as shown in a pick list.
    pub fn one_line(&self) -> String {
        let mut s = format!("{} {}", self.property, self.street);
        if let Some(l) = &self.locality {
            s.push_str(", ");
            s.push_str(l);
        }
        s.push_str(", ");
        s.push_str(&self.town);
        s.push_str(", ");
        s.push_str(&self.postcode.to_string());
        s
    }
}

/// An address look-up service.
pub trait Gazetteer: Send + Sync {
    /// Every address at a postcode, in a stable order; empty if none are known.
    fn addresses(&self, postcode: &Postcode) -> Vec<GazetteerAddress>;
    /// The address with this UPRN, if known.
    fn by_uprn(&self, uprn: Uprn) -> Option<GazetteerAddress>;
}

/// Deterministic synthetic addresses on real postcodes.
pub struct SyntheticGazetteer {
    directory: &'static PostcodeDirectory,
    reference: &'static ReferenceData,
}

/// UPRNs of synthetic addresses start here, above real AddressBase ranges in
/// common use, so they are recognisable: 9 × 10^11 + ordinal × 100 + house.
const UPRN_BASE: u64 = 900_000_000_000;
const MAX_PER_POSTCODE: u64 = 100;

const STREETS_EN: &[&str] = &[
    "High",
    "Church",
    "Station",
    "Victoria",
    "Park",
    "Mill",
    "School",
    "Queen's",
    "King's",
    "North",
    "Green",
    "Manor",
    "Chapel",
    "Albert",
    "Grange",
    "Meadow",
    "Orchard",
    "Willow",
    "Oak",
    "Elm",
    "Beech",
    "Ash",
    "Cedar",
    "Holly",
    "Springfield",
    "Riverside",
    "Castle",
    "Bridge",
    "Market",
    "West",
    "Hill",
    "Windsor",
    "York",
    "Kingsway",
    "Priory",
    "Abbey",
    "Mount",
    "Richmond",
    "Clifton",
    "Rosebery",
    "Thistle",
    "Heather",
    "Glebe",
    "Stanley",
    "Russell",
];
const SUFFIXES_EN: &[&str] =
    &["Street", "Road", "Lane", "Avenue", "Close", "Drive", "Way", "Gardens", "Crescent", "Terrace", "Place", "Grove"];
const STREETS_CY: &[&str] = &[
    "Heol y Bont",
    "Heol yr Eglwys",
    "Ffordd yr Orsaf",
    "Stryd Fawr",
    "Heol y Parc",
    "Ffordd y Felin",
    "Heol Newydd",
    "Lôn Las",
    "Heol y Castell",
    "Ffordd Penrhos",
    "Stryd y Capel",
    "Heol y Dderwen",
    "Maes y Coed",
    "Bryn Eithin",
    "Cae Glas",
    "Heol Tywi",
    "Ffordd Glyndŵr",
    "Rhodfa'r Môr",
    "Heol Llanfair",
    "Lôn y Wern",
];
const HOUSE_NAMES: &[&str] =
    &["Rose Cottage", "The Old Rectory", "Ty Gwyn", "Hillcrest", "The Laurels", "Fernbank", "Brynteg", "Lochview"];

/// SplitMix64: a fixed, fast mixer, so the same postcode always gives the same addresses.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

fn town_of(council: &Council) -> String {
    // "Kingston upon Hull, City of" → "Kingston upon Hull"; "City of Edinburgh" → "Edinburgh".
    let name = council.name.split(',').next().unwrap_or(&council.name).trim();
    name.strip_prefix("City of ").unwrap_or(name).to_owned()
}

impl SyntheticGazetteer {
    pub fn new(directory: &'static PostcodeDirectory, reference: &'static ReferenceData) -> Self {
        Self { directory, reference }
    }

    fn make(&self, ordinal: u32, postcode: &Postcode, gss_code: GssCode, house: u64) -> Option<GazetteerAddress> {
        let seed = mix(ordinal as u64);
        let count = 3 + seed % 40;
        if house >= count {
            return None;
        }
        let council = self.reference.council(&gss_code);
        let welsh = council.is_some_and(|c| c.nation == Nation::Wales) && seed.is_multiple_of(3);
        let street = if welsh {
            STREETS_CY[(seed >> 8) as usize % STREETS_CY.len()].to_owned()
        } else {
            format!(
                "{} {}",
                STREETS_EN[(seed >> 8) as usize % STREETS_EN.len()],
                SUFFIXES_EN[(seed >> 16) as usize % SUFFIXES_EN.len()]
            )
        };
        let first_number = 1 + (seed >> 24) % 120;
        // A third of postcodes are blocks of flats; some have named houses.
        let property = match (seed >> 32) % 6 {
            0 | 1 => format!("Flat {}, {}", house + 1, first_number),
            2 if house % 5 == 4 => HOUSE_NAMES[(mix(seed + house) % HOUSE_NAMES.len() as u64) as usize].to_owned(),
            _ => (first_number + 2 * house).to_string(),
        };
        let town = council.map(town_of).unwrap_or_else(|| postcode.area().to_owned());
        Some(GazetteerAddress {
            uprn: Uprn::new(UPRN_BASE + ordinal as u64 * MAX_PER_POSTCODE + house).ok()?,
            property,
            street,
            locality: None,
            town,
            postcode: postcode.clone(),
            gss_code,
        })
    }
}

impl Gazetteer for SyntheticGazetteer {
    fn addresses(&self, postcode: &Postcode) -> Vec<GazetteerAddress> {
        let Some(ordinal) = self.directory.ordinal(postcode) else {
            return Vec::new();
        };
        let Some(gss) = self.directory.district(postcode) else {
            return Vec::new();
        };
        // Only GB councils have electors here.
        if gss.nation().is_none() {
            return Vec::new();
        }
        (0..MAX_PER_POSTCODE).map_while(|h| self.make(ordinal, postcode, gss, h)).collect()
    }

    fn by_uprn(&self, uprn: Uprn) -> Option<GazetteerAddress> {
        let n = uprn.get().checked_sub(UPRN_BASE)?;
        let (ordinal, house) = (u32::try_from(n / MAX_PER_POSTCODE).ok()?, n % MAX_PER_POSTCODE);
        let (postcode, gss) = self.directory.at(ordinal)?;
        gss.nation()?;
        self.make(ordinal, &postcode, gss, house)
    }
}
