//! The shipped reference data: every GB postcode routes to a real council and
//! its ERO; Northern Ireland and the Crown dependencies are recognised; the
//! synthetic gazetteer is deterministic and finds addresses again by UPRN.

use std::collections::BTreeSet;

use ier_domain::{GssCode, Nation, Postcode};
use ier_reference::{Gazetteer, Locator, PostcodeDirectory, ReferenceData, Route, SyntheticGazetteer};

fn pc(s: &str) -> Postcode {
    Postcode::parse(s).unwrap()
}

#[test]
fn every_district_in_the_postcode_table_has_a_council() {
    let dir = PostcodeDirectory::embedded();
    let reference = ReferenceData::embedded();
    let gb: BTreeSet<GssCode> = dir.districts().iter().copied().filter(|c| c.nation().is_some()).collect();
    assert_eq!(gb.len(), 350);
    for code in &gb {
        assert!(reference.council(code).is_some(), "no council for {code}");
    }
    // ...and every council has postcodes.
    for council in reference.councils() {
        assert!(gb.contains(&council.gss_code), "{} has no postcodes", council.name);
    }
    assert!(dir.len() > 2_600_000, "{}", dir.len());
}

#[test]
fn real_postcodes_route_to_their_real_council() {
    let locator = Locator::embedded();
    for (postcode, gss, council, ero) in [
        ("SW1A 1AA", "E09000033", "Westminster", "westminster"),
        ("CF10 1EP", "W06000015", "Cardiff", "cardiff"),
        ("EH1 1YZ", "S12000036", "City of Edinburgh", "lothian-vjb"),
        ("LL55 4UR", "W06000002", "Gwynedd", "gwynedd"),
        ("M1 1AE", "E08000003", "Manchester", "manchester"),
        ("IP12 1RT", "E07000244", "East Suffolk", "east-suffolk"),
        ("G2 1DU", "S12000049", "Glasgow City", "glasgow-assessor"),
        ("HS1 2BW", "S12000013", "Na h-Eileanan Siar", "highland-western-isles-vjb"),
        ("TR21 0LW", "E06000053", "Isles of Scilly", "isles-of-scilly"),
        ("CA1 1RD", "E06000063", "Cumberland", "cumberland"),
    ] {
        match locator.route(&pc(postcode)) {
            Route::Council { council: c, ero: e } => {
                assert_eq!((c.gss_code.as_str(), c.name.as_str(), e.id.as_str()), (gss, council, ero), "{postcode}");
            }
            other => panic!("{postcode}: {other:?}"),
        }
    }
}

#[test]
fn welsh_councils_carry_welsh_names() {
    let Route::Council { council, .. } = Locator::embedded().route(&pc("LL55 4UR")) else { panic!() };
    assert_eq!(council.nation, Nation::Wales);
    assert_eq!(council.name_cy.as_deref(), Some("Gwynedd"));
    let Route::Council { council, .. } = Locator::embedded().route(&pc("SA1 1DP")) else { panic!() };
    assert_eq!((council.name.as_str(), council.name_cy.as_deref()), ("Swansea", Some("Abertawe")));
}

#[test]
fn out_of_scope_places_are_recognised() {
    let locator = Locator::embedded();
    assert_eq!(locator.route(&pc("BT1 1AA")), Route::NorthernIreland);
    assert_eq!(locator.route(&pc("BT48 6DQ")), Route::NorthernIreland);
    assert_eq!(locator.route(&pc("GY1 1AA")), Route::CrownDependency);
    assert_eq!(locator.route(&pc("IM1 1AA")), Route::CrownDependency);
    assert_eq!(locator.route(&pc("BFPO 801")), Route::Forces);
    assert_eq!(locator.route(&pc("YY9 9YY")), Route::Unknown);
    let ni = PostcodeDirectory::embedded().district(&pc("BT1 1AA")).unwrap();
    assert_eq!(ni.jurisdiction(), Some(ier_domain::Jurisdiction::NorthernIreland));
}

#[test]
fn the_table_survives_a_write_read_round_trip() {
    let dir = PostcodeDirectory::embedded();
    let mut bytes = Vec::new();
    dir.write(&mut bytes).unwrap();
    let back = PostcodeDirectory::read(&bytes[..]).unwrap();
    assert_eq!(back.len(), dir.len());
    for i in (0..dir.len() as u32).step_by(9973) {
        assert_eq!(back.at(i), dir.at(i));
    }
}

fn gazetteer() -> SyntheticGazetteer {
    SyntheticGazetteer::new(PostcodeDirectory::embedded(), ReferenceData::embedded())
}

#[test]
fn gazetteer_is_deterministic_and_finds_addresses_by_uprn() {
    let g = gazetteer();
    for postcode in ["SW1A 1AA", "CF10 1EP", "EH1 1YZ", "LL55 4UR"] {
        let a = g.addresses(&pc(postcode));
        assert!(a.len() >= 3, "{postcode}");
        assert_eq!(a, g.addresses(&pc(postcode)), "same every time");
        let uprns: BTreeSet<_> = a.iter().map(|x| x.uprn).collect();
        assert_eq!(uprns.len(), a.len(), "UPRNs unique");
        for addr in &a {
            assert_eq!(addr.postcode, pc(postcode));
            assert_eq!(g.by_uprn(addr.uprn).as_ref(), Some(addr));
            assert_eq!(Some(addr.gss_code), PostcodeDirectory::embedded().district(&pc(postcode)));
        }
    }
}

#[test]
fn gazetteer_has_no_addresses_outside_gb_or_for_unknown_postcodes() {
    let g = gazetteer();
    assert!(g.addresses(&pc("BT1 1AA")).is_empty());
    assert!(g.addresses(&pc("YY9 9YY")).is_empty());
    assert!(g.by_uprn(ier_domain::Uprn::new(1).unwrap()).is_none());
}

#[test]
fn welsh_postcodes_have_some_welsh_street_names() {
    let g = gazetteer();
    let dir = PostcodeDirectory::embedded();
    let welsh = dir
        .iter()
        .filter(|(_, gss)| gss.nation() == Some(Nation::Wales))
        .take(300)
        .flat_map(|(p, _)| g.addresses(&p))
        .filter(|a| {
            ["Heol", "Ffordd", "Stryd", "Lôn", "Maes", "Bryn", "Cae", "Rhodfa"].iter().any(|w| a.street.starts_with(w))
        })
        .count();
    assert!(welsh > 0);
}
