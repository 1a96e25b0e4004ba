//! Councils and EROs of Great Britain, loaded from `data/councils.csv` and
//! `data/eros.csv` (LAD25 codes and names from ONS open data; ERO structure
//! from the Scottish assessors' areas).

use std::collections::BTreeMap;
use std::sync::LazyLock;

use ier_domain::{Council, Ero, EroContact, EroId, GssCode, Nation};
use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceDataError {
    #[error("{file} line {line}: {problem}")]
    Row { file: &'static str, line: usize, problem: String },
    #[error("council {0} names ERO {1}, which is not in eros.csv")]
    MissingEro(GssCode, EroId),
    #[error("ERO {0} serves no council")]
    IdleEro(EroId),
}

/// All councils and EROs.
#[derive(Debug, Clone)]
pub struct ReferenceData {
    councils: BTreeMap<GssCode, Council>,
    eros: BTreeMap<EroId, Ero>,
}

static EMBEDDED: LazyLock<ReferenceData> = LazyLock::new(|| {
    ReferenceData::from_csv(include_str!("../data/councils.csv"), include_str!("../data/eros.csv"))
        .expect("shipped reference data is valid")
});

impl ReferenceData {
    /// The councils and EROs shipped with the service.
    pub fn embedded() -> &'static ReferenceData {
        &EMBEDDED
    }

    pub fn from_csv(councils_csv: &str, eros_csv: &str) -> Result<Self, ReferenceDataError> {
        #[derive(Deserialize)]
        struct CouncilRow {
            gss_code: String,
            name: String,
            name_cy: String,
            nation: String,
            ero_id: String,
        }
        #[derive(Deserialize)]
        struct EroRow {
            ero_id: String,
            name: String,
            name_cy: String,
        }
        let row_err = |file, line, problem: String| ReferenceDataError::Row { file, line, problem };
        let non_empty = |s: String| if s.trim().is_empty() { None } else { Some(s) };

        let mut eros = BTreeMap::new();
        for (i, row) in csv::Reader::from_reader(eros_csv.as_bytes()).deserialize::<EroRow>().enumerate() {
            let line = i + 2;
            let row = row.map_err(|e| row_err("eros.csv", line, e.to_string()))?;
            let id = EroId::parse(&row.ero_id).map_err(|e| row_err("eros.csv", line, e.to_string()))?;
            let ero =
                Ero { id: id.clone(), name: row.name, name_cy: non_empty(row.name_cy), contact: EroContact::default() };
            if eros.insert(id, ero).is_some() {
                return Err(row_err("eros.csv", line, "duplicate ERO id".into()));
            }
        }
        let mut councils = BTreeMap::new();
        for (i, row) in csv::Reader::from_reader(councils_csv.as_bytes()).deserialize::<CouncilRow>().enumerate() {
            let line = i + 2;
            let row = row.map_err(|e| row_err("councils.csv", line, e.to_string()))?;
            let gss_code = GssCode::parse(&row.gss_code).map_err(|e| row_err("councils.csv", line, e.to_string()))?;
            let nation: Nation = row.nation.parse().map_err(|_| row_err("councils.csv", line, "bad nation".into()))?;
            if gss_code.nation() != Some(nation) {
                return Err(row_err("councils.csv", line, "GSS code is not a council of that nation".into()));
            }
            let ero_id = EroId::parse(&row.ero_id).map_err(|e| row_err("councils.csv", line, e.to_string()))?;
            if !eros.contains_key(&ero_id) {
                return Err(ReferenceDataError::MissingEro(gss_code, ero_id));
            }
            let council = Council { gss_code, name: row.name, name_cy: non_empty(row.name_cy), nation, ero_id };
            if councils.insert(gss_code, council).is_some() {
                return Err(row_err("councils.csv", line, "duplicate GSS code".into()));
            }
        }
        if let Some(idle) = eros.keys().find(|id| !councils.values().any(|c: &Council| &c.ero_id == *id)) {
            return Err(ReferenceDataError::IdleEro(idle.clone()));
        }
        Ok(Self { councils, eros })
    }

    pub fn council(&self, gss_code: &GssCode) -> Option<&Council> {
        self.councils.get(gss_code)
    }

    pub fn ero(&self, id: &EroId) -> Option<&Ero> {
        self.eros.get(id)
    }

    pub fn councils(&self) -> impl Iterator<Item = &Council> {
        self.councils.values()
    }

    pub fn eros(&self) -> impl Iterator<Item = &Ero> {
        self.eros.values()
    }

    /// The councils an ERO serves.
    pub fn councils_of<'a>(&'a self, ero: &'a EroId) -> impl Iterator<Item = &'a Council> + 'a {
        self.councils.values().filter(move |c| &c.ero_id == ero)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_gb_council_by_nation() {
        let r = ReferenceData::embedded();
        let count = |n| r.councils().filter(|c| c.nation == n).count();
        assert_eq!((count(Nation::England), count(Nation::Wales), count(Nation::Scotland)), (296, 22, 32));
        assert!(r.councils().filter(|c| c.nation == Nation::Wales).all(|c| c.name_cy.is_some()), "Welsh names");
        let cardiff = r.council(&GssCode::parse("W06000015").unwrap()).unwrap();
        assert_eq!((cardiff.name.as_str(), cardiff.name_cy.as_deref()), ("Cardiff", Some("Caerdydd")));
    }

    #[test]
    fn one_ero_may_serve_several_councils() {
        let r = ReferenceData::embedded();
        let lothian = EroId::parse("lothian-vjb").unwrap();
        let mut names: Vec<_> = r.councils_of(&lothian).map(|c| c.name.as_str()).collect();
        names.sort();
        assert_eq!(names, vec!["City of Edinburgh", "East Lothian", "Midlothian", "West Lothian"]);
        assert_eq!(r.eros().count(), 332);
        // In England and Wales each council has its own ERO.
        for c in r.councils().filter(|c| c.nation != Nation::Scotland) {
            assert_eq!(r.councils_of(&c.ero_id).count(), 1, "{}", c.name);
        }
    }

    #[test]
    fn bad_rows_are_reported_with_their_line() {
        let eros = "ero_id,name,name_cy\nx,X,\n";
        let err =
            ReferenceData::from_csv("gss_code,name,name_cy,nation,ero_id\nE09000033,W,,wales,x\n", eros).unwrap_err();
        assert_eq!(err.to_string(), "councils.csv line 2: GSS code is not a council of that nation");
        let err =
            ReferenceData::from_csv("gss_code,name,name_cy,nation,ero_id\nE09000033,W,,england,y\n", eros).unwrap_err();
        assert!(matches!(err, ReferenceDataError::MissingEro(..)));
    }
}
