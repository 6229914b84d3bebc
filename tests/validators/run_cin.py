"""Run Data to Insight's CIN census validator (csc-validator-be-cin) on a CIN census XML file.

Run with the validators' own Python (they pin numpy<1.25 and pandas<2, so they live in their own
environment): ``python run_cin.py FILE.xml YEAR``. Prints one JSON object: the rules broken
(errors and queries apart, rule code → locations), plus the rules that raised inside the validator.
"""

import contextlib
import importlib
import io
import json
import logging
import re
import sys
import xml.etree.ElementTree as ET

logging.disable(logging.CRITICAL)

from cin_validator import cin_validator  # noqa: E402

path, year = sys.argv[1], int(sys.argv[2])
root = ET.parse(path).getroot()
data = cin_validator.process_data(cin_validator.convert_data(root))
registry = importlib.import_module(f"cin_validator.rules.cin{year - 1}_{year % 100:02d}").registry
kinds = {str(rule.code): rule.rule_type.name for _, rule in registry.items()}
said = io.StringIO()
with contextlib.redirect_stdout(said):
    validator = cin_validator.CinValidator(data, registry)
found = {"ERROR": {}, "QUERY": {}}
issues = validator.full_issue_df
for code, rows in issues.groupby("rule_code").size().items():
    found[kinds[str(code)]][str(code)] = int(rows)
for code in validator.multichild_issues["rule_code"]:
    found[kinds[str(code)]][str(code)] = found[kinds[str(code)]].get(str(code), 0) + 1
failed = sorted(set(re.findall(r"Error with rule (\w+)", said.getvalue())))
print(json.dumps({"errors": found["ERROR"], "queries": found["QUERY"], "failed": failed}))
