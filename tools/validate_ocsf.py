#!/usr/bin/env python3
"""Validates a JSON array of OCSF events against the OCSF JSON schema.

Usage: validate_ocsf.py FILE [VERSION]

The schema comes from the `ocsf-json-schema` package (the class schema with
the `cloud` profile, as Shareline emits Detection Findings with it), checked
with `jsonschema`. Prints "N valid" and exits 0, or prints each error and
exits 1. scripts/test installs both packages into .venv/.
"""
import json
import sys

import jsonschema
from ocsf_json_schema import OcsfJsonSchemaEmbedded, get_ocsf_schema

CLASSES = {2004: "detection_finding"}


def main() -> int:
    path = sys.argv[1]
    version = sys.argv[2] if len(sys.argv) > 2 else "1.3.0"
    with open(path, encoding="utf-8") as f:
        events = json.load(f)
    if not isinstance(events, list):
        print(f"{path}: expected a JSON array of events")
        return 1
    embedded = OcsfJsonSchemaEmbedded(get_ocsf_schema(version=version))
    validators = {}
    errors = 0
    for i, event in enumerate(events):
        cls = CLASSES.get(event.get("class_uid")) if isinstance(event, dict) else None
        if cls is None:
            print(f"event {i}: unknown or missing class_uid")
            errors += 1
            continue
        if cls not in validators:
            schema = embedded.get_class_schema(cls, profiles=["cloud"])
            validators[cls] = jsonschema.Draft202012Validator(schema)
        for err in validators[cls].iter_errors(event):
            where = "/".join(str(p) for p in err.absolute_path) or "(event)"
            print(f"event {i} at {where}: {err.message}")
            errors += 1
    if errors:
        print(f"{errors} error(s)")
        return 1
    print(f"{len(events)} valid")
    return 0


if __name__ == "__main__":
    sys.exit(main())
