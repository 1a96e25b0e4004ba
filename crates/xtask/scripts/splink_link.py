"""Link two CSV files with Splink 4 (DuckDB backend): the baseline for `cargo xtask linkbench`.

It takes the same CSV contract and gives the same output as `ier match link`:

    splink_link.py --left L.csv --right R.csv --out decisions.csv
                   [--threshold P] [--no-nino] [--pairs pairs.csv] [--max-pairs-u 1e7] [--seed 42]

Input header: `id,given_name,middle_names,surname,date_of_birth,nino,address_line_1,address_line_2,town,postcode`
(extra columns, such as the reference extract's `uprn`, are ignored). Output:
`left_id,right_id,match_probability`, one row per left record whose best
pair scores at least the threshold (default 0.5): the pair with the highest
match probability for that left record (ties broken by the smaller right id).
`--pairs` also writes every scored pair at or above the threshold, for
per-pair figures. `--no-nino` ignores the NINO column entirely.

Configuration, following Splink's documentation (splink 4 "Getting started",
"Blocking", "Training" and "Comparisons" guides):

- Data preparation (documented as the user's job): names lower-cased, accents
  stripped, trimmed; NINO upper-cased without spaces or hyphens; GB postcodes
  upper-cased in the standard "outward inward" form; address line 1 lower-cased
  with punctuation removed; empty strings as NULL.
- Comparisons: `NameComparison` for given name and surname, with term
  frequency adjustments; `DateOfBirthComparison` (string input); `ExactMatch`
  on NINO; `PostcodeComparison`; `JaroWinklerAtThresholds` on address line 1.
  A column that is NULL on one side throughout (e.g. DOB and NINO on a
  confirmation-style register) simply contributes nothing.
- Training: `estimate_probability_two_random_records_match` from deterministic
  rules with an estimated recall; `estimate_u_using_random_sampling`
  (`max_pairs` 1e7 by default; unseeded by default, since Splink documents
  that a seed costs time); `estimate_parameters_using_expectation_maximisation`
  on two blocking rules that between them leave every comparison estimated.
- Prediction: blocking rules chosen from the columns available (NINO; DOB with
  surname or given name; postcode with surname or given name; given name,
  surname and town).

Timings are printed on stderr as one `key=value` line starting `linkbench:`
(load_seconds, train_seconds, predict_seconds, pairs_compared, ...), the
protocol `cargo xtask linkbench` reads from any linker.
"""

import argparse
import csv
import logging
import sys
import time

import duckdb
import splink
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from splink.blocking_analysis import cumulative_comparisons_to_be_scored_from_blocking_rules_data

CONTRACT = [
    "id",
    "given_name",
    "middle_names",
    "surname",
    "date_of_birth",
    "nino",
    "address_line_1",
    "address_line_2",
    "town",
    "postcode",
]

GB_POSTCODE = "^[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}$"
GB_POSTCODE_SPACED = "^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}$"


def clean_sql(path, use_nino):
    """A SELECT that reads one CSV in the contract and prepares it for Splink."""
    name = "nullif(trim(regexp_replace(lower(strip_accents(coalesce({c}, ''))), '[^a-z'' -]', '', 'g')), '')"
    pc = "upper(regexp_replace(coalesce(postcode, ''), '[^A-Za-z0-9]', '', 'g'))"
    nino = "nullif(upper(regexp_replace(coalesce(nino, ''), '[^A-Za-z0-9]', '', 'g')), '')" if use_nino else "NULL"
    return f"""
        SELECT
            id,
            {name.format(c="given_name")} AS given_name,
            {name.format(c="surname")} AS surname,
            nullif(trim(coalesce(date_of_birth, '')), '') AS date_of_birth,
            {nino} AS nino,
            CASE WHEN regexp_matches({pc}, '{GB_POSTCODE}')
                 THEN left({pc}, length({pc}) - 3) || ' ' || right({pc}, 3)
                 ELSE nullif({pc}, '') END AS postcode,
            nullif(trim(regexp_replace(regexp_replace(lower(coalesce(address_line_1, '')), '[^a-z0-9 ]', ' ', 'g'),
                   ' +', ' ', 'g')), '') AS address_line_1,
            nullif(lower(trim(coalesce(town, ''))), '') AS town
        FROM read_csv('{path}', header = true, all_varchar = true)
    """


def non_null_share(con, table, column):
    return con.execute(f"SELECT avg(CASE WHEN {column} IS NULL THEN 0 ELSE 1 END) FROM {table}").fetchone()[0] or 0.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--left", required=True)
    ap.add_argument("--right", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--threshold", type=float, default=0.5)
    ap.add_argument("--no-nino", action="store_true")
    ap.add_argument("--pairs")
    ap.add_argument("--max-pairs-u", type=float, default=1e7)
    ap.add_argument("--seed", type=int, default=-1, help="seed for u sampling (slower in Splink); -1: none")
    ap.add_argument("--verbose", action="store_true", help="Splink's INFO logging (training progress)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(asctime)s %(message)s")

    t0 = time.perf_counter()
    con = duckdb.connect()
    for table, path in (("left_records", args.left), ("right_records", args.right)):
        con.execute(f"CREATE TABLE {table} AS {clean_sql(path.replace(chr(39), chr(39) * 2), not args.no_nino)}")
    n_left = con.execute("SELECT count(*) FROM left_records").fetchone()[0]
    n_right = con.execute("SELECT count(*) FROM right_records").fetchone()[0]
    # Which fields the left side actually carries (a confirmation-style register has no DOB or NINO).
    has_dob = non_null_share(con, "left_records", "date_of_birth") > 0.01
    has_nino = not args.no_nino and non_null_share(con, "left_records", "nino") > 0.01
    load_seconds = time.perf_counter() - t0

    comparisons = [
        cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
        cl.NameComparison("surname").configure(term_frequency_adjustments=True),
    ]
    if has_dob:
        comparisons.append(cl.DateOfBirthComparison("date_of_birth", input_is_string=True))
    if has_nino:
        comparisons.append(cl.ExactMatch("nino"))
    # PostcodeComparison knows the GB format (sector, district, area); other postcodes
    # (FEBRL's Australian ones) are compared exactly.
    gb_postcodes = con.execute(
        f"SELECT avg(CASE WHEN regexp_matches(postcode, '{GB_POSTCODE_SPACED}') "
        "THEN 1 ELSE 0 END) FROM right_records"
    ).fetchone()[0] or 0.0
    comparisons += [
        cl.PostcodeComparison("postcode") if gb_postcodes > 0.5 else cl.ExactMatch("postcode"),
        cl.JaroWinklerAtThresholds("address_line_1", [0.95, 0.8]),
    ]

    blocking = []
    if has_nino:
        blocking.append(block_on("nino"))
    if has_dob:
        blocking += [block_on("date_of_birth", "surname"), block_on("date_of_birth", "given_name")]
    blocking += [
        block_on("postcode", "surname"),
        block_on("postcode", "given_name"),
        block_on("given_name", "surname", "town"),
    ]

    settings = SettingsCreator(
        link_type="link_only",
        unique_id_column_name="id",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=blocking,
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )
    db_api = DuckDBAPI(connection=con)
    linker = Linker(["left_records", "right_records"], settings, db_api, input_table_aliases=["a_left", "b_right"])

    t1 = time.perf_counter()
    if has_nino:
        deterministic, recall = [block_on("nino"), block_on("given_name", "surname", "date_of_birth")], 0.9
    elif has_dob:
        deterministic, recall = [block_on("given_name", "surname", "date_of_birth")], 0.8
    else:
        deterministic, recall = [block_on("given_name", "surname", "postcode")], 0.7
    linker.training.estimate_probability_two_random_records_match(deterministic, recall=recall)
    linker.training.estimate_u_using_random_sampling(max_pairs=args.max_pairs_u, seed=args.seed if args.seed >= 0 else None)
    # EM: the first rule estimates everything but postcode, the second everything but the names
    # (and so every comparison is estimated by at least one session).
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("postcode"))
    if has_dob:
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth", "substr(surname, 1, 1)"))
    else:
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("given_name", "surname", "town"))
    train_seconds = time.perf_counter() - t1

    t2 = time.perf_counter()
    predictions = linker.inference.predict(threshold_match_probability=args.threshold)
    pairs = predictions.physical_name
    oriented = f"""
        SELECT
            CASE WHEN source_dataset_l = 'a_left' THEN id_l ELSE id_r END AS left_id,
            CASE WHEN source_dataset_l = 'a_left' THEN id_r ELSE id_l END AS right_id,
            match_probability
        FROM {pairs}
    """
    con.execute(f"CREATE TABLE scored AS {oriented}")
    best = """
        SELECT left_id, right_id, match_probability FROM scored
        QUALIFY row_number() OVER (PARTITION BY left_id ORDER BY match_probability DESC, right_id) = 1
        ORDER BY left_id
    """
    rows = con.execute(best).fetchall()
    with open(args.out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["left_id", "right_id", "match_probability"])
        for left_id, right_id, p in rows:
            w.writerow([left_id, right_id, f"{p:.6f}"])
    predict_seconds = time.perf_counter() - t2

    if args.pairs:
        with open(args.pairs, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["left_id", "right_id", "match_probability"])
            for left_id, right_id, p in con.execute("SELECT * FROM scored ORDER BY left_id, right_id").fetchall():
                w.writerow([left_id, right_id, f"{p:.6f}"])

    # Pairs compared: what the prediction blocking rules generate (counted after
    # the timed work, with Splink's own blocking analysis; `count_seconds`).
    t3 = time.perf_counter()
    counts = cumulative_comparisons_to_be_scored_from_blocking_rules_data(
        table_or_tables=["left_records", "right_records"],
        blocking_rules=blocking,
        link_type="link_only",
        db_api=db_api,
        unique_id_column_name="id",
    )
    compared = int(counts["row_count"].sum())
    count_seconds = time.perf_counter() - t3
    scored = con.execute("SELECT count(*) FROM scored").fetchone()[0]

    print(
        f"linkbench: linker=splink splink_version={splink.__version__} duckdb_version={duckdb.__version__} "
        f"left_records={n_left} right_records={n_right} uses_dob={int(has_dob)} uses_nino={int(has_nino)} gb_postcodes={int(gb_postcodes > 0.5)} "
        f"load_seconds={load_seconds:.2f} train_seconds={train_seconds:.2f} predict_seconds={predict_seconds:.2f} count_seconds={count_seconds:.2f} "
        f"pairs_compared={compared} pairs_above_threshold={scored} links={len(rows)}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
