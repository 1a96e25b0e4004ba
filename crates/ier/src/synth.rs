//! `ier synth`: write a synthetic population's DWP reference extract, or a
//! noisy applicant stream / electoral register with its ground truth, as CSV.

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use chrono::NaiveDate;
use clap::{Args, Subcommand, ValueEnum};
use ier_synth::{NoiseModel, Population, write_records_csv, write_reference_csv};

#[derive(Subcommand)]
pub enum Synth {
    /// The DWP reference extract: one row per person, in the records' CSV contract (`id` = person id) plus `uprn`.
    Reference {
        #[command(flatten)]
        population: PopulationArgs,
        /// Output CSV.
        #[arg(long)]
        out: PathBuf,
    },
    /// Noisy records in the matching CLI's contract, plus a `record_id,person_id` ground truth.
    Records {
        #[command(flatten)]
        population: PopulationArgs,
        /// Noise model: realistic applicants, none (exact copies), a confirmation-style register (no DOB or NINO),
        /// or heavy (a much dirtier stress preset).
        #[arg(long, value_enum, default_value = "realistic")]
        noise: Noise,
        /// Output CSV (id,given_name,middle_names,surname,date_of_birth,nino,address_line_1,address_line_2,town,postcode).
        #[arg(long)]
        out: PathBuf,
        /// Ground-truth CSV (record_id,person_id; empty person_id for records of nobody in the reference).
        #[arg(long)]
        truth: PathBuf,
    },
}

#[derive(Args)]
pub struct PopulationArgs {
    /// Seed: the same seed and size give byte-identical files.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Number of people.
    #[arg(long)]
    size: u64,
    /// Reference date for ages and moves (YYYY-MM-DD).
    #[arg(long, default_value = "2026-01-01")]
    on: NaiveDate,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Noise {
    Realistic,
    None,
    Confirmation,
    Heavy,
}

fn file(path: &PathBuf) -> anyhow::Result<BufWriter<std::fs::File>> {
    Ok(BufWriter::with_capacity(
        1 << 20,
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
    ))
}

pub fn run(cmd: Synth) -> anyhow::Result<()> {
    let started = Instant::now();
    match cmd {
        Synth::Reference { population: p, out } => {
            let population = Population::new(p.seed, p.size, p.on)?;
            let mut w = file(&out)?;
            write_reference_csv(population.reference_extract(), &mut w)?;
            w.flush()?;
            eprintln!("wrote {} people to {} in {:.1?}", p.size, out.display(), started.elapsed());
        }
        Synth::Records { population: p, noise, out, truth } => {
            let population = Population::new(p.seed, p.size, p.on)?;
            let model = match noise {
                Noise::Realistic => NoiseModel::realistic(),
                Noise::None => NoiseModel::none(),
                Noise::Confirmation => NoiseModel::confirmation(),
                Noise::Heavy => NoiseModel::heavy(),
            };
            let records = match noise {
                Noise::Confirmation => population.register(&model)?,
                _ => population.applicants(&model)?,
            };
            let (mut w, mut t) = (file(&out)?, file(&truth)?);
            write_records_csv(records, &mut w, &mut t)?;
            w.flush()?;
            t.flush()?;
            eprintln!(
                "wrote records of {} people to {} (truth: {}) in {:.1?}",
                p.size,
                out.display(),
                truth.display(),
                started.elapsed()
            );
        }
    }
    Ok(())
}
