//! Franchise and eligibility: the one module that reads the law's rules.
//!
//! The rules are data (`data/franchise.toml`), each with an id, the dates it
//! applies and its source. This module answers the questions the service asks —
//! may this person register yet, which elections may they vote in and from
//! when, may they be published, may they register from abroad — for a given
//! date, so the answer for any past or future day follows from the data.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::dates::{DateOfBirth, age_on};
use crate::geography::Nation;
use crate::nationality::{CountryCategory, Nationality};

/// A class of person that franchise rules grant the vote to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FranchiseClass {
    British,
    Irish,
    Commonwealth,
    Eu,
    EuReciprocal,
    EuRetainedRights,
    ForeignWithLeave,
}

/// An election type, by its id in the rules data (`uk-parliament`, `senedd`, ...).
pub type ElectionId = String;

#[derive(Debug, Clone, Deserialize)]
pub struct Election {
    pub id: ElectionId,
    pub name: String,
    pub nations: Vec<Nation>,
}

#[derive(Debug, Clone, Deserialize)]
struct Span {
    from: NaiveDate,
    to: Option<NaiveDate>,
}

impl Span {
    fn contains(&self, d: NaiveDate) -> bool {
        self.from <= d && self.to.is_none_or(|t| d <= t)
    }
    fn overlaps(&self, o: &Span) -> bool {
        let end = |s: &Span| s.to.unwrap_or(NaiveDate::MAX);
        self.from <= end(o) && o.from <= end(self)
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct AgeRule {
    pub id: String,
    #[serde(default)]
    pub nation: Option<Nation>,
    #[serde(default)]
    pub election: Option<ElectionId>,
    pub min_age: u32,
    #[serde(flatten)]
    span: Span,
    pub source: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct NationalityRule {
    pub id: String,
    pub election: ElectionId,
    pub classes: BTreeSet<FranchiseClass>,
    #[serde(flatten)]
    span: Span,
    pub source: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct OverseasRule {
    pub id: String,
    /// Years abroad after which a person may no longer register; `None` = no limit.
    pub max_years_abroad: Option<u32>,
    /// How long an overseas registration lasts before it must be renewed.
    pub registration_years: u32,
    /// The day of the year (`MM-DD`) registrations end on: with it, a registration
    /// ends on the `registration_years`-th such day after it takes effect; without
    /// it, `registration_years` after the day it took effect.
    #[serde(default)]
    pub ends_on: Option<MonthDay>,
    pub min_age: u32,
    pub elections: Vec<ElectionId>,
    #[serde(flatten)]
    span: Span,
    pub source: String,
}

/// A day of the year, written `MM-DD` in the rules data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonthDay {
    pub month: u32,
    pub day: u32,
}

impl<'de> Deserialize<'de> for MonthDay {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let bad = || serde::de::Error::custom("a day of the year is written MM-DD");
        let (m, dd) = s.split_once('-').ok_or_else(bad)?;
        let (month, day) = (m.parse().map_err(|_| bad())?, dd.parse().map_err(|_| bad())?);
        // 2024 is a leap year: every day of any year exists in it.
        NaiveDate::from_ymd_opt(2024, month, day).ok_or_else(bad)?;
        Ok(Self { month, day })
    }
}

impl MonthDay {
    /// The `n`-th occurrence of this day strictly after `after` (n >= 1).
    pub fn nth_after(&self, after: NaiveDate, n: u32) -> Option<NaiveDate> {
        use chrono::Datelike;
        let this_year = NaiveDate::from_ymd_opt(after.year(), self.month, self.day)?;
        let first_year = if this_year > after { after.year() } else { after.year() + 1 };
        NaiveDate::from_ymd_opt(first_year + n as i32 - 1, self.month, self.day)
    }
}

/// How long a service declaration (armed forces, Crown servants, British
/// Council employees and their spouses or civil partners) keeps someone registered.
#[derive(Debug, Clone, Deserialize)]
pub struct ServiceDeclarationRule {
    pub id: String,
    /// The kinds of applicant it is for (`forces`, `crown`, `british-council`).
    pub kinds: Vec<crate::application::ApplicationKind>,
    pub months: u32,
    /// A shorter period for declarants under 18, if any.
    #[serde(default)]
    pub under_18_months: Option<u32>,
    #[serde(flatten)]
    span: Span,
    pub source: String,
}

#[derive(Debug, Deserialize)]
struct RulesFile {
    election: Vec<Election>,
    register_age: Vec<AgeRule>,
    voting_age: Vec<AgeRule>,
    nationality_franchise: Vec<NationalityRule>,
    publication_age: Vec<AgeRule>,
    overseas: Vec<OverseasRule>,
    #[serde(default)]
    service_declaration: Vec<ServiceDeclarationRule>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RulesError {
    #[error("rules file is not valid TOML: {0}")]
    Syntax(String),
    #[error("rule {0} names an unknown election")]
    UnknownElection(String),
    #[error("rules {0} and {1} overlap in time")]
    Overlap(String, String),
    #[error("rule {0} ends before it starts")]
    BackwardsSpan(String),
    #[error("rule {0} must name a nation")]
    MissingNation(String),
    #[error("rule {0} must name an election")]
    MissingElection(String),
    #[error("duplicate rule id {0}")]
    DuplicateId(String),
}

/// The whole rule set.
#[derive(Debug)]
pub struct Rules {
    elections: BTreeMap<ElectionId, Election>,
    register_age: Vec<AgeRule>,
    voting_age: Vec<AgeRule>,
    nationality: Vec<NationalityRule>,
    publication_age: Vec<AgeRule>,
    overseas: Vec<OverseasRule>,
    service_declaration: Vec<ServiceDeclarationRule>,
}

static CURRENT: LazyLock<Rules> =
    LazyLock::new(|| Rules::from_toml(include_str!("../data/franchise.toml")).expect("data/franchise.toml is valid"));

/// What a person is, as far as the franchise goes. Status facts the applicant is
/// not asked online are `None`: the ERO establishes them.
#[derive(Debug, Clone)]
pub struct Person<'a> {
    pub nationality: &'a Nationality,
    pub date_of_birth: Option<DateOfBirth>,
    pub nation: Nation,
    /// EU citizen with retained rights (resident before 2021).
    pub eu_retained_rights: Option<bool>,
    /// Has leave to enter or remain (or does not need it).
    pub leave_to_remain: Option<bool>,
}

/// When and where someone may vote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VotingRight {
    pub election: ElectionId,
    /// The day they may first vote in it (their 16th or 18th birthday, or today).
    pub from: NaiveDate,
    /// True when it depends on a status the ERO must confirm (retained rights, leave to remain).
    pub subject_to_status_check: bool,
}

/// The answer to "may this person register here, today?".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Eligibility {
    Eligible {
        rights: Vec<VotingRight>,
    },
    TooYoung {
        min_age: u32,
        rule: String,
    },
    /// No election in their nation is open to any nationality they hold.
    NoFranchise,
}

impl Rules {
    /// The rules shipped with the service.
    pub fn current() -> &'static Rules {
        &CURRENT
    }

    pub fn from_toml(text: &str) -> Result<Rules, RulesError> {
        let f: RulesFile = toml::from_str(text).map_err(|e| RulesError::Syntax(e.to_string()))?;
        let elections: BTreeMap<_, _> = f.election.into_iter().map(|e| (e.id.clone(), e)).collect();
        let mut ids = BTreeSet::new();
        let mut check_id = |id: &str| {
            if ids.insert(id.to_owned()) { Ok(()) } else { Err(RulesError::DuplicateId(id.into())) }
        };
        for r in f.register_age.iter().chain(&f.publication_age) {
            check_id(&r.id)?;
            if r.nation.is_none() {
                return Err(RulesError::MissingNation(r.id.clone()));
            }
        }
        for r in &f.voting_age {
            check_id(&r.id)?;
            match &r.election {
                None => return Err(RulesError::MissingElection(r.id.clone())),
                Some(e) if !elections.contains_key(e) => {
                    return Err(RulesError::UnknownElection(r.id.clone()));
                }
                _ => {}
            }
        }
        for r in &f.nationality_franchise {
            check_id(&r.id)?;
            if !elections.contains_key(&r.election) {
                return Err(RulesError::UnknownElection(r.id.clone()));
            }
        }
        for r in &f.service_declaration {
            check_id(&r.id)?;
        }
        for r in &f.overseas {
            check_id(&r.id)?;
            if let Some(e) = r.elections.iter().find(|e| !elections.contains_key(*e)) {
                return Err(RulesError::UnknownElection(format!("{} ({e})", r.id)));
            }
        }
        // No two rules for the same subject may apply on the same day.
        let spans = f
            .register_age
            .iter()
            .map(|r| (format!("register:{:?}", r.nation), &r.id, &r.span))
            .chain(f.voting_age.iter().map(|r| (format!("vote:{:?}", r.election), &r.id, &r.span)))
            .chain(f.publication_age.iter().map(|r| (format!("publish:{:?}", r.nation), &r.id, &r.span)))
            .chain(f.nationality_franchise.iter().map(|r| (format!("nat:{}", r.election), &r.id, &r.span)))
            .chain(f.overseas.iter().map(|r| ("overseas".to_string(), &r.id, &r.span)))
            .chain(
                f.service_declaration
                    .iter()
                    .flat_map(|r| r.kinds.iter().map(move |k| (format!("service:{}", k.as_str()), &r.id, &r.span))),
            )
            .collect::<Vec<_>>();
        for (i, (key, id, span)) in spans.iter().enumerate() {
            if span.to.is_some_and(|t| t < span.from) {
                return Err(RulesError::BackwardsSpan((*id).clone()));
            }
            for (key2, id2, span2) in &spans[i + 1..] {
                if key == key2 && span.overlaps(span2) {
                    return Err(RulesError::Overlap((*id).clone(), (*id2).clone()));
                }
            }
        }
        Ok(Rules {
            elections,
            register_age: f.register_age,
            voting_age: f.voting_age,
            nationality: f.nationality_franchise,
            publication_age: f.publication_age,
            overseas: f.overseas,
            service_declaration: f.service_declaration,
        })
    }

    pub fn elections(&self) -> impl Iterator<Item = &Election> {
        self.elections.values()
    }

    pub fn election(&self, id: &str) -> Option<&Election> {
        self.elections.get(id)
    }

    /// The rule giving the minimum age to register in `nation` on `on`.
    pub fn register_age(&self, nation: Nation, on: NaiveDate) -> Option<&AgeRule> {
        self.register_age.iter().find(|r| r.nation == Some(nation) && r.span.contains(on))
    }

    /// The rule giving the voting age for `election` on `on`.
    pub fn voting_age(&self, election: &str, on: NaiveDate) -> Option<&AgeRule> {
        self.voting_age.iter().find(|r| r.election.as_deref() == Some(election) && r.span.contains(on))
    }

    /// The rule saying who may vote in `election` on `on`, by nationality.
    pub fn nationality_rule(&self, election: &str, on: NaiveDate) -> Option<&NationalityRule> {
        self.nationality.iter().find(|r| r.election == election && r.span.contains(on))
    }

    /// The overseas-elector rule in force on `on`.
    pub fn overseas(&self, on: NaiveDate) -> Option<&OverseasRule> {
        self.overseas.iter().find(|r| r.span.contains(on))
    }

    /// May this person's details be published on a register (full or open) on `on`?
    /// Under-16s in Scotland and Wales are never published.
    pub fn may_publish(&self, nation: Nation, dob: DateOfBirth, on: NaiveDate) -> bool {
        match self.publication_rule(nation, on) {
            Some(rule) => dob.age_on(on) >= rule.min_age,
            None => true,
        }
    }

    /// As [`Rules::may_publish`], for someone who gave a date of birth or only
    /// an age range: a range that may reach below the publication age (or no
    /// age at all) is treated as too young, since a young person's details are
    /// never published.
    pub fn may_publish_birth(&self, nation: Nation, birth: &crate::application::BirthDetails, on: NaiveDate) -> bool {
        use crate::application::BirthDetails;
        match birth {
            BirthDetails::Date(dob) => self.may_publish(nation, *dob, on),
            BirthDetails::NotGiven { range, .. } => match self.publication_rule(nation, on) {
                Some(rule) => range.youngest().is_some_and(|y| y >= rule.min_age),
                None => true,
            },
        }
    }

    fn publication_rule(&self, nation: Nation, on: NaiveDate) -> Option<&AgeRule> {
        self.publication_age.iter().find(|r| r.nation == Some(nation) && r.span.contains(on))
    }

    /// The elections open to someone with these classes in `nation` on `on`,
    /// ignoring age. A class marked `true` is only possible (a status the ERO checks).
    fn open_elections(
        &self,
        classes: &BTreeMap<FranchiseClass, bool>,
        nation: Nation,
        on: NaiveDate,
    ) -> Vec<(ElectionId, bool)> {
        self.elections
            .values()
            .filter(|e| e.nations.contains(&nation))
            .filter_map(|e| {
                let rule = self.nationality_rule(&e.id, on)?;
                // the best (definite, if any) class that the rule accepts
                let hits: Vec<bool> =
                    classes.iter().filter(|(c, _)| rule.classes.contains(c)).map(|(_, s)| *s).collect();
                if hits.is_empty() { None } else { Some((e.id.clone(), hits.iter().all(|s| *s))) }
            })
            .collect()
    }

    /// May this person register in their nation on `on`, and what may they vote in?
    pub fn eligibility(&self, person: &Person<'_>, on: NaiveDate) -> Eligibility {
        if let (Some(dob), Some(rule)) = (person.date_of_birth, self.register_age(person.nation, on))
            && dob.age_on(on) < rule.min_age
        {
            return Eligibility::TooYoung { min_age: rule.min_age, rule: rule.id.clone() };
        }
        let classes = match person.nationality {
            // No nationality given: the ERO follows up; treat every class as possible.
            Nationality::NotProvided { .. } => [FranchiseClass::British].into_iter().map(|c| (c, true)).collect(),
            _ => classes_of(person),
        };
        let open = self.open_elections(&classes, person.nation, on);
        if open.is_empty() {
            return Eligibility::NoFranchise;
        }
        let rights = open
            .into_iter()
            .map(|(election, subject)| {
                let from = match (person.date_of_birth, self.voting_age(&election, on)) {
                    (Some(dob), Some(rule)) if dob.age_on(on) < rule.min_age => dob.birthday(rule.min_age),
                    _ => on,
                };
                VotingRight { election, from, subject_to_status_check: subject }
            })
            .collect();
        Eligibility::Eligible { rights }
    }

    /// May a British citizen who left the UK on `left_uk` register as an overseas
    /// elector on `on`? `Err` carries the id of the rule that refuses.
    pub fn overseas_eligible(&self, left_uk: NaiveDate, on: NaiveDate) -> Result<&OverseasRule, String> {
        let rule = self.overseas(on).ok_or_else(|| "no overseas rule in force".to_string())?;
        match rule.max_years_abroad {
            Some(max) if age_on(left_uk, on) >= max => Err(rule.id.clone()),
            _ => Ok(rule),
        }
    }

    /// May this British citizen register as an overseas elector on `on`, and
    /// what may they vote in? Too young below the overseas rule's age; the
    /// elections are the rule's, each from its voting age.
    pub fn overseas_eligibility(&self, dob: DateOfBirth, on: NaiveDate) -> Eligibility {
        let Some(rule) = self.overseas(on) else { return Eligibility::NoFranchise };
        if dob.age_on(on) < rule.min_age {
            return Eligibility::TooYoung { min_age: rule.min_age, rule: rule.id.clone() };
        }
        let rights = rule
            .elections
            .iter()
            .map(|election| {
                let from = match self.voting_age(election, on) {
                    Some(age) if dob.age_on(on) < age.min_age => dob.birthday(age.min_age),
                    _ => on,
                };
                VotingRight { election: election.clone(), from, subject_to_status_check: false }
            })
            .collect();
        Eligibility::Eligible { rights }
    }

    /// The day an overseas registration that takes effect on `effective` ends,
    /// unless renewed: under the law since 16 January 2024, the third 1 November
    /// after it takes effect (effective 1 March 2024: ends 1 November 2026).
    pub fn overseas_registration_expires(&self, effective: NaiveDate) -> Option<NaiveDate> {
        let rule = self.overseas(effective)?;
        match rule.ends_on {
            Some(day) => day.nth_after(effective, rule.registration_years),
            None => effective.checked_add_months(chrono::Months::new(12 * rule.registration_years)),
        }
    }

    /// The service declaration rule for a kind of applicant on `on`.
    pub fn service_declaration(
        &self,
        kind: crate::application::ApplicationKind,
        on: NaiveDate,
    ) -> Option<&ServiceDeclarationRule> {
        self.service_declaration.iter().find(|r| r.kinds.contains(&kind) && r.span.contains(on))
    }

    /// The day a service declaration made on `effective` stops keeping its
    /// declarant registered, unless renewed (`None` for a kind that makes none).
    pub fn service_declaration_expires(
        &self,
        kind: crate::application::ApplicationKind,
        effective: NaiveDate,
        dob: Option<DateOfBirth>,
    ) -> Option<NaiveDate> {
        let rule = self.service_declaration(kind, effective)?;
        let months = match (rule.under_18_months, dob) {
            (Some(m), Some(dob)) if dob.age_on(effective) < 18 => m,
            _ => rule.months,
        };
        effective.checked_add_months(chrono::Months::new(months))
    }
}

/// The classes a person holds. `true` marks a class that depends on a status
/// not yet known (and so only possible).
fn classes_of(person: &Person<'_>) -> BTreeMap<FranchiseClass, bool> {
    let mut out = BTreeMap::new();
    let mut add = |c, uncertain: bool| {
        let e = out.entry(c).or_insert(uncertain);
        *e &= uncertain;
    };
    for (category, reciprocal) in person.nationality.categories() {
        match category {
            CountryCategory::British | CountryCategory::CrownDependency => add(FranchiseClass::British, false),
            CountryCategory::Irish => add(FranchiseClass::Irish, false),
            CountryCategory::Commonwealth => add(FranchiseClass::Commonwealth, person.leave_to_remain.is_none()),
            CountryCategory::Eu => {
                add(FranchiseClass::Eu, false);
                if reciprocal {
                    add(FranchiseClass::EuReciprocal, false);
                }
                match person.eu_retained_rights {
                    Some(true) => add(FranchiseClass::EuRetainedRights, false),
                    None => add(FranchiseClass::EuRetainedRights, true),
                    Some(false) => {}
                }
            }
            CountryCategory::Other => {}
        }
        if category != CountryCategory::British && category != CountryCategory::Irish {
            match person.leave_to_remain {
                Some(true) => add(FranchiseClass::ForeignWithLeave, false),
                None => add(FranchiseClass::ForeignWithLeave, true),
                Some(false) => {}
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    //! Each test names the rule (by its id in data/franchise.toml) it checks.
    use super::*;
    use crate::nationality::CountryCode;

    fn d(y: i32, m: u32, dd: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, dd).unwrap()
    }
    const TODAY: (i32, u32, u32) = (2026, 11, 22);
    fn today() -> NaiveDate {
        d(TODAY.0, TODAY.1, TODAY.2)
    }
    fn aged(years: i32) -> DateOfBirth {
        DateOfBirth::from_date(d(TODAY.0 - years, 6, 1), today()).unwrap()
    }
    fn british() -> Nationality {
        Nationality::stated(true, false, vec![]).unwrap()
    }
    fn of(code: &str) -> Nationality {
        Nationality::stated(false, false, vec![CountryCode::parse(code).unwrap()]).unwrap()
    }
    fn person(n: &Nationality, nation: Nation, dob: DateOfBirth) -> Person<'_> {
        Person { nationality: n, date_of_birth: Some(dob), nation, eu_retained_rights: None, leave_to_remain: None }
    }
    fn elections(e: &Eligibility) -> Vec<&str> {
        match e {
            Eligibility::Eligible { rights } => rights.iter().map(|r| r.election.as_str()).collect(),
            _ => vec![],
        }
    }

    #[test]
    fn shipped_rules_load() {
        assert!(Rules::current().elections().count() >= 7);
    }

    #[test]
    fn rule_register_age_england_16() {
        let r = Rules::current();
        let b = british();
        assert!(matches!(r.eligibility(&person(&b, Nation::England, aged(15)), today()),
            Eligibility::TooYoung { min_age: 16, ref rule } if rule == "register-age-england-16"));
        assert!(matches!(r.eligibility(&person(&b, Nation::England, aged(16)), today()), Eligibility::Eligible { .. }));
    }

    #[test]
    fn rule_register_age_scotland_14_and_wales_14() {
        let r = Rules::current();
        let b = british();
        for nation in [Nation::Scotland, Nation::Wales] {
            assert!(matches!(r.eligibility(&person(&b, nation, aged(14)), today()), Eligibility::Eligible { .. }));
            assert!(matches!(
                r.eligibility(&person(&b, nation, aged(13)), today()),
                Eligibility::TooYoung { min_age: 14, .. }
            ));
        }
        assert_eq!(r.register_age(Nation::Wales, d(2020, 5, 31)).unwrap().id, "register-age-wales-16");
        assert_eq!(r.register_age(Nation::Wales, d(2020, 6, 1)).unwrap().id, "register-age-wales-14");
    }

    #[test]
    fn rule_voting_age_uk_parliament_18_makes_attainers() {
        let r = Rules::current();
        let b = british();
        let dob = aged(16);
        let Eligibility::Eligible { rights } = r.eligibility(&person(&b, Nation::England, dob), today()) else {
            panic!()
        };
        let uk = rights.iter().find(|x| x.election == "uk-parliament").unwrap();
        assert_eq!(uk.from, dob.birthday(18), "votes from their 18th birthday");
    }

    #[test]
    fn rule_voting_age_senedd_16_and_scottish_parliament_16() {
        let r = Rules::current();
        let b = british();
        let dob = aged(16);
        for (nation, devolved, local) in
            [(Nation::Wales, "senedd", "local-wales"), (Nation::Scotland, "scottish-parliament", "local-scotland")]
        {
            let Eligibility::Eligible { rights } = r.eligibility(&person(&b, nation, dob), today()) else { panic!() };
            for e in [devolved, local] {
                assert_eq!(rights.iter().find(|x| x.election == e).unwrap().from, today(), "{e}: votes at 16");
            }
            assert_eq!(rights.iter().find(|x| x.election == "uk-parliament").unwrap().from, dob.birthday(18));
        }
    }

    #[test]
    fn rule_nationality_local_england_2024_limits_eu_citizens() {
        let r = Rules::current();
        // France has no treaty: after 7 May 2024 only with retained rights.
        let fr = of("FR");
        let mut p = person(&fr, Nation::England, aged(30));
        p.eu_retained_rights = Some(false);
        assert_eq!(r.eligibility(&p, today()), Eligibility::NoFranchise);
        assert_eq!(
            elections(&r.eligibility(&p, d(2024, 5, 6))),
            vec!["local-england", "police-and-crime-commissioner"],
            "rule nationality-local-england-eu still applied on 6 May 2024"
        );
        p.eu_retained_rights = Some(true);
        assert_eq!(elections(&r.eligibility(&p, today())), vec!["local-england", "police-and-crime-commissioner"]);
        // Poland has a treaty.
        let pl = of("PL");
        let mut p = person(&pl, Nation::England, aged(30));
        p.eu_retained_rights = Some(false);
        assert_eq!(elections(&r.eligibility(&p, today())), vec!["local-england", "police-and-crime-commissioner"]);
    }

    #[test]
    fn rule_nationality_scottish_parliament_2020_and_senedd_2020_foreign_nationals() {
        let r = Rules::current();
        let us = of("US");
        for (nation, want) in [
            (Nation::Scotland, vec!["local-scotland", "scottish-parliament"]),
            (Nation::Wales, vec!["local-wales", "senedd"]),
        ] {
            let mut p = person(&us, nation, aged(30));
            p.leave_to_remain = Some(true);
            assert_eq!(elections(&r.eligibility(&p, today())), want);
            p.leave_to_remain = Some(false);
            assert_eq!(r.eligibility(&p, today()), Eligibility::NoFranchise);
        }
        let p = person(&us, Nation::England, aged(30));
        assert_eq!(r.eligibility(&p, today()), Eligibility::NoFranchise, "no foreign-national franchise in England");
    }

    #[test]
    fn rule_nationality_uk_parliament_commonwealth_and_irish() {
        let r = Rules::current();
        for code in ["IN", "IE", "CY"] {
            let n = if code == "IE" { Nationality::stated(false, true, vec![]).unwrap() } else { of(code) };
            let e = r.eligibility(&person(&n, Nation::England, aged(40)), today());
            assert!(elections(&e).contains(&"uk-parliament"), "{code}");
        }
        let fr = of("FR");
        assert!(
            !elections(&r.eligibility(&person(&fr, Nation::England, aged(40)), today())).contains(&"uk-parliament")
        );
    }

    #[test]
    fn unknown_status_is_marked_for_ero_check() {
        let r = Rules::current();
        let us = of("US");
        let Eligibility::Eligible { rights } = r.eligibility(&person(&us, Nation::Scotland, aged(30)), today()) else {
            panic!()
        };
        assert!(rights.iter().all(|x| x.subject_to_status_check));
        let b = british();
        let Eligibility::Eligible { rights } = r.eligibility(&person(&b, Nation::Scotland, aged(30)), today()) else {
            panic!()
        };
        assert!(rights.iter().all(|x| !x.subject_to_status_check));
    }

    #[test]
    fn rule_publication_scotland_16_and_wales_16() {
        let r = Rules::current();
        assert!(!r.may_publish(Nation::Scotland, aged(15), today()));
        assert!(!r.may_publish(Nation::Wales, aged(14), today()));
        assert!(r.may_publish(Nation::Wales, aged(16), today()));
        assert!(r.may_publish(Nation::England, aged(16), today()));
    }

    #[test]
    fn rule_overseas_votes_for_life_and_the_old_15_year_limit() {
        let r = Rules::current();
        let left = d(1990, 1, 1);
        assert_eq!(r.overseas_eligible(left, today()).unwrap().id, "overseas-votes-for-life");
        assert_eq!(r.overseas_eligible(left, d(2023, 12, 31)).unwrap_err(), "overseas-15-year-limit");
        // The third 1 November after it takes effect (the Electoral Commission's own example).
        assert_eq!(r.overseas_registration_expires(d(2024, 3, 1)), Some(d(2026, 11, 1)));
        assert_eq!(r.overseas_registration_expires(d(2026, 11, 22)), Some(d(2029, 11, 1)));
        assert_eq!(r.overseas_registration_expires(d(2026, 11, 1)), Some(d(2029, 11, 1)), "not on the day itself");
        assert_eq!(r.overseas_registration_expires(d(2023, 11, 22)), Some(d(2024, 11, 22)), "one year before 2024");
    }

    #[test]
    fn rule_overseas_votes_for_life_franchise_is_uk_parliament_from_16() {
        let r = Rules::current();
        assert!(matches!(r.overseas_eligibility(aged(15), today()),
            Eligibility::TooYoung { min_age: 16, ref rule } if rule == "overseas-votes-for-life"));
        let Eligibility::Eligible { rights } = r.overseas_eligibility(aged(16), today()) else { panic!() };
        assert_eq!(rights.len(), 1);
        assert_eq!(rights[0].election, "uk-parliament");
        assert_eq!(rights[0].from, aged(16).birthday(18), "votes from 18 (voting-age-uk-parliament-18)");
    }

    #[test]
    fn rule_service_declarations_forces_5_years_crown_and_british_council_12_months() {
        use crate::application::ApplicationKind;
        let r = Rules::current();
        let on = d(2026, 12, 4);
        assert_eq!(r.service_declaration_expires(ApplicationKind::Forces, on, Some(aged(30))), Some(d(2031, 12, 4)));
        assert_eq!(
            r.service_declaration_expires(ApplicationKind::Forces, on, Some(aged(17))),
            Some(d(2027, 12, 4)),
            "under 18: a year"
        );
        for kind in [ApplicationKind::Crown, ApplicationKind::BritishCouncil] {
            assert_eq!(r.service_declaration_expires(kind, on, Some(aged(40))), Some(d(2027, 12, 4)));
        }
        assert_eq!(r.service_declaration_expires(ApplicationKind::Ordinary, on, None), None);
        assert_eq!(r.service_declaration_expires(ApplicationKind::Overseas, on, None), None);
    }

    #[test]
    fn rule_publication_by_age_range_never_publishes_who_may_be_young() {
        use crate::application::{AgeRange, BirthDetails};
        let r = Rules::current();
        let range = |range| BirthDetails::NotGiven { reason: "x".into(), range };
        assert!(!r.may_publish_birth(Nation::Wales, &range(AgeRange::From14To15), today()));
        assert!(!r.may_publish_birth(Nation::Scotland, &range(AgeRange::DontKnow), today()));
        assert!(r.may_publish_birth(Nation::Scotland, &range(AgeRange::From16To17), today()));
        assert!(r.may_publish_birth(Nation::England, &range(AgeRange::DontKnow), today()), "no rule in England");
        assert!(!r.may_publish_birth(Nation::Scotland, &BirthDetails::Date(aged(15)), today()));
    }

    #[test]
    fn a_change_of_law_is_a_data_change() {
        // Votes at 16 for the UK Parliament from a future date: one rule closed, one added.
        let text = include_str!("../data/franchise.toml").replace(
            "min_age = 18\nfrom = \"1970-01-01\"\nsource = \"Representation of the People Act 1969 (a lower",
            "min_age = 18\nfrom = \"1970-01-01\"\nto = \"2028-12-31\"\nsource = \"Representation of the People Act 1969 (a lower",
        ) + "\n[[voting_age]]\nid = \"voting-age-uk-parliament-16\"\nelection = \"uk-parliament\"\nmin_age = 16\nfrom = \"2029-01-01\"\nsource = \"hypothetical\"\n";
        let r = Rules::from_toml(&text).unwrap();
        assert_eq!(r.voting_age("uk-parliament", d(2028, 12, 31)).unwrap().min_age, 18);
        assert_eq!(r.voting_age("uk-parliament", d(2029, 1, 1)).unwrap().id, "voting-age-uk-parliament-16");
    }

    #[test]
    fn overlapping_rules_are_refused() {
        let text = include_str!("../data/franchise.toml").to_owned()
            + "\n[[register_age]]\nid = \"clash\"\nnation = \"england\"\nmin_age = 15\nfrom = \"2025-01-01\"\nsource = \"x\"\n";
        assert_eq!(
            Rules::from_toml(&text).unwrap_err(),
            RulesError::Overlap("register-age-england-16".into(), "clash".into())
        );
    }

    mod properties {
        use super::*;
        use chrono::Datelike;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn british_adults_can_always_vote_for_parliament(nation in 0usize..3, age in 18i32..110, day in 0i64..3000) {
                let on = d(2020, 1, 1) + chrono::Duration::days(day);
                let nation = Nation::ALL[nation];
                let b = british();
                let dob = DateOfBirth::from_date(d(on.year() - age - 1, 1, 1), on).unwrap();
                let e = Rules::current().eligibility(&person(&b, nation, dob), on);
                let Eligibility::Eligible { rights } = e else { return Err(TestCaseError::fail("not eligible")) };
                let uk = rights.iter().find(|r| r.election == "uk-parliament").unwrap();
                prop_assert_eq!(uk.from, on);
            }

            #[test]
            fn eligibility_is_monotonic_in_age(nation in 0usize..3, days_old in 0i64..40_000) {
                let on = today();
                let nation = Nation::ALL[nation];
                let b = british();
                let dob = DateOfBirth::from_date(on - chrono::Duration::days(days_old), on).unwrap();
                let min = Rules::current().register_age(nation, on).unwrap().min_age;
                let eligible = matches!(Rules::current().eligibility(&person(&b, nation, dob), on), Eligibility::Eligible { .. });
                prop_assert_eq!(eligible, dob.age_on(on) >= min);
            }

            #[test]
            fn voting_never_starts_before_the_voting_age(days_old in 14i64*366..30*366) {
                let on = today();
                let b = british();
                let dob = DateOfBirth::from_date(on - chrono::Duration::days(days_old), on).unwrap();
                if let Eligibility::Eligible { rights } = Rules::current().eligibility(&person(&b, Nation::Scotland, dob), on) {
                    for r in rights {
                        let min = Rules::current().voting_age(&r.election, on).unwrap().min_age;
                        prop_assert!(dob.age_on(r.from) >= min);
                    }
                }
            }
        }
    }
}
