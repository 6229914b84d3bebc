"""Run Data to Insight's SSDA903 validator (csc-validator-be-903) on a folder of 903 CSVs.

Run with the validators' own Python (they pin numpy<1.25 and pandas<2, so they live in their own
environment): ``python run_903.py FOLDER YEAR``. Prints one JSON object: rule code → rows in error,
plus the rules that could not run.
"""

import importlib
import json
import logging
import sys
from pathlib import Path

logging.disable(logging.CRITICAL)

from lac_validator import lac_validator  # noqa: E402
from lac_validator.utils import process_uploaded_files  # noqa: E402

folder, year = Path(sys.argv[1]), int(sys.argv[2])
files = process_uploaded_files({"This year": [str(p) for p in sorted(folder.glob("*.csv"))]})
registry = importlib.import_module(f"lac_validator.rules.lac{year - 1}_{year % 100:02d}").registry
validator = lac_validator.LacValidator(
    metadata={"collectionYear": str(year), "localAuthority": "E08000012"},
    files=files,
    registry=registry,
)
errors = {}
for table, frame in validator.ds_results.items():
    if not hasattr(frame, "columns"):
        continue
    for column in frame.columns:
        if column.startswith("ERR_"):
            count = int(frame[column].fillna(False).astype(bool).sum())
            if count:
                errors[f"{table}:{column[4:]}"] = count
print(json.dumps({"errors": errors, "failed": sorted(validator.fails)}))
