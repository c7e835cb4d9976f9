#!/usr/bin/env python3
"""Writes the fuzz targets' seed inputs into DIR/<target>/, derived from what the repository
already holds: the ASL conformance cases, the example state machines and the JSONata cases.
Usage: scripts/fuzz-seeds.py DIR"""

import hashlib
import json
import pathlib
import sys

root = pathlib.Path(__file__).resolve().parent.parent
out = pathlib.Path(sys.argv[1])
seeds = {t: set() for t in ["asl_load", "jsonpath", "intrinsics", "template", "timestamp", "jsonata", "run"]}

TEMPLATE_FIELDS = {"Parameters", "ResultSelector", "ItemSelector", "Arguments", "Output"}
TIMESTAMP_FIELDS = {"Timestamp"} | {f"Timestamp{op}" for op in
                                    ["Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals"]}


def walk(value, input_):
    """Paths, calls, templates and timestamps inside a definition, with the case's input."""
    if isinstance(value, dict):
        for key, field in value.items():
            if key in TEMPLATE_FIELDS and isinstance(field, (dict, list)):
                seeds["template"].add(json.dumps([field, input_]))
            if key in TIMESTAMP_FIELDS and isinstance(field, str):
                seeds["timestamp"].add(field)
            if isinstance(field, str) and (key.endswith(".$") or key.endswith("Path")):
                target = "intrinsics" if field.startswith("States.") else "jsonpath"
                seeds[target].add(field + "\n" + json.dumps(input_))
            walk(field, input_)
    elif isinstance(value, list):
        for item in value:
            walk(item, input_)


cases = [json.loads(p.read_text()) for p in sorted((root / "tests/asl-conformance/cases").glob("*.json"))]
for path in sorted((root / "examples/state-machines").glob("*.asl.json")):
    cases.append({"definition": json.loads(path.read_text()), "input": {}})
for case in cases:
    definition, input_ = case["definition"], case.get("input", {})
    seeds["asl_load"].add(json.dumps(definition, indent=1))
    seeds["run"].add(json.dumps([definition, input_]))
    walk(definition, input_)
seeds["timestamp"] |= {"2024-02-29T12:00:00Z", "2024-01-01T00:00:00.123456789+05:30", "1970-01-01T00:00:00Z",
                       "9999-12-31T23:59:59.999Z", "2024-13-01T00:00:00Z", "2024-01-01t00:00:00z"}

for path in sorted((root / "tests/jsonata/cases").glob("*.json")):
    for case in json.loads(path.read_text()):
        data = case.get("data")
        document = json.dumps(data) if isinstance(data, (dict, list)) else ""
        seeds["jsonata"].add(case["expr"].replace("\n", " ") + "\n" + document)

for target, inputs in seeds.items():
    directory = out / target
    directory.mkdir(parents=True, exist_ok=True)
    for text in inputs:
        name = hashlib.sha1(text.encode()).hexdigest()
        (directory / name).write_text(text)
    print(f"{target}: {len(inputs)} seeds", file=sys.stderr)
