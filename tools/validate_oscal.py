#!/usr/bin/env python3
"""Validates an OSCAL JSON document against NIST's OSCAL JSON schemas.

Usage: validate_oscal.py [--complete] FILE

The schema is chosen by the document's root key, from tests/data/oscal/
(see the README there for the OSCAL version and where the files came from):

    system-security-plan   -> oscal_ssp_schema.json
    component-definition   -> oscal_component_schema.json
    any other OSCAL model  -> oscal_complete_schema.json (catalog, profile,
                              assessment-plan, assessment-results,
                              plan-of-action-and-milestones, mapping-collection)

--complete validates against oscal_complete_schema.json whatever the root
(the same rules as the per-model schemas; a cross-check). The complete schema's
root is a oneOf over the models, which makes any error read "is not valid under
any of the given schemas"; this script validates against the one branch that
the root key names instead, so the errors point into the document.

Prints "valid" and exits 0, or prints each error as `JSON-path: message` and
exits 1 (also for unreadable JSON, duplicate object keys, NaN/Infinity, or an
unknown root key). Needs the `jsonschema` and `regex` packages.

Quirks of NIST's schemas that this script handles:

* Regex dialect. JSON Schema patterns are ECMA-262 regular expressions, and
  jsonschema's own `pattern` keyword runs them with Python's `re`, which
  (a) has no Unicode property escapes: OSCAL's TokenDatatype (every `id`,
  `control-id`, `role-id`, `statement-id`, `param-id`, prop `name`, `class`...)
  is `^(\\p{L}|_)(\\p{L}|\\p{N}|[.\\-_])*$`, and `re` raises on `\\p`; and
  (b) lets `$` match before a final newline, so "Title\\n" would pass
  StringDatatype `^\\S(.*\\S)?$` and MarkupLineDatatype `^[^\\n]+$`, which
  ECMA-262 (and so NIST's own validators) reject. This script replaces the
  `pattern` keyword with one that compiles the pattern with the `regex`
  module (which has `\\p{..}`) after rewriting, outside character classes,
  `$` to `\\Z` (end of input only) and `.` to `[^\\n\\r\\u2028\\u2029]`
  (ECMA's `.` excludes all four line terminators). The schemas use no
  `patternProperties`, `\\d`, `\\w` or `\\b`, whose meanings also differ.
* `format` (date-time, uri, uri-reference, email) is not asserted: draft-07
  treats it as an annotation, and NIST pairs every format but uri-reference
  with a `pattern` that is asserted (DateTimeWithTimezoneDatatype's pattern
  requires the time zone, e.g. `2026-01-15T10:00:00Z`).
* JSON Schema checks shape and datatypes only. OSCAL's Metaschema constraints
  (uniqueness of uuids, that a `role-id`/`party-uuid`/`component-uuid`/
  `provided-uuid` points at something defined, allowed values of NIST
  props, party `uuid` and `type` being required) are not in the JSON schema
  and are not checked here.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import jsonschema
import regex
from jsonschema import Draft7Validator, ValidationError

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "tests" / "data" / "oscal"
COMPLETE = "oscal_complete_schema.json"
PER_MODEL = {
    "system-security-plan": "oscal_ssp_schema.json",
    "component-definition": "oscal_component_schema.json",
}
MAX_MESSAGE = 300

_compiled: dict[str, regex.Pattern] = {}


def ecma_to_python(pattern: str) -> str:
    """Rewrites an ECMA-262 pattern (no flags) for the `regex` module."""
    out = []
    in_class = False
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            if c == "]":
                in_class = False
            out.append(c)
        elif c == "[":
            in_class = True
            out.append(c)
            # (A `]` right after `[` or `[^` is literal in Python but closes an
            # empty class in ECMA; NIST's patterns have neither.)
        elif c == "$":
            out.append(r"\Z")
        elif c == ".":
            out.append("[^\\n\\r\\u2028\\u2029]")
        else:
            out.append(c)
        i += 1
    return "".join(out)


def ecma_search(pattern: str, text: str) -> bool:
    compiled = _compiled.get(pattern)
    if compiled is None:
        compiled = _compiled[pattern] = regex.compile(ecma_to_python(pattern))
    return compiled.search(text) is not None


# Pattern -> the OSCAL datatype that declares it (UUIDDatatype, TokenDatatype,
# ...), so that errors name the datatype rather than print a long regex.
_datatype_of: dict[str, str] = {}


def _pattern(validator, pattern, instance, schema):
    if validator.is_type(instance, "string") and not ecma_search(pattern, instance):
        name = _datatype_of.get(pattern)
        if name:
            yield ValidationError(f"{instance!r} is not a valid {name} (pattern {pattern!r})")
        else:
            yield ValidationError(f"{instance!r} does not match {pattern!r}")


def validator_class(schema: dict):
    """The validator for the draft the schema declares (draft-07 for NIST's),
    with the ECMA-262 `pattern` keyword above."""
    base = jsonschema.validators.validator_for(schema, default=Draft7Validator)
    return jsonschema.validators.extend(base, {"pattern": _pattern})


def load_schema(name: str) -> dict:
    with open(SCHEMA_DIR / name, encoding="utf-8") as f:
        schema = json.load(f)
    for key, definition in schema.get("definitions", {}).items():
        if key.endswith("Datatype"):
            for part in [definition, *definition.get("allOf", [])]:
                if isinstance(part.get("pattern"), str):
                    _datatype_of[part["pattern"]] = key
    return schema


def schema_for(root_key: str, complete: bool) -> dict | None:
    if not complete and root_key in PER_MODEL:
        return load_schema(PER_MODEL[root_key])
    full = load_schema(COMPLETE)
    for branch in full.get("oneOf", []):
        if branch.get("required") == [root_key]:
            schema = {k: v for k, v in full.items() if k != "oneOf"}
            schema.update(branch)
            return schema
    return None


def _no_duplicates(pairs):
    obj = {}
    for key, value in pairs:
        if key in obj:
            raise ValueError(f"duplicate key {key!r} in an object")
        obj[key] = value
    return obj


def _no_constants(name):
    raise ValueError(f"{name} is not JSON")


def short(message: str) -> str:
    return message if len(message) <= MAX_MESSAGE else message[: MAX_MESSAGE - 3] + "..."


def _order(err: ValidationError):
    return (list(map(str, err.absolute_path)), err.message)


def report(err: ValidationError, indent: str = "") -> list[str]:
    lines = [f"{indent}{err.json_path}: {short(err.message)}"]
    if err.validator in ("anyOf", "oneOf") and err.context:
        # Say why each alternative failed, once per distinct reason.
        seen = set()
        for sub in sorted(err.context, key=_order):
            line = f"{indent}    because {sub.json_path}: {short(sub.message)}"
            if line not in seen:
                seen.add(line)
                lines.append(line)
    return lines


def main(argv: list[str]) -> int:
    args = argv[1:]
    complete = "--complete" in args
    args = [a for a in args if a != "--complete"]
    if len(args) != 1:
        print(__doc__.split("\n\n")[1])
        return 2
    path = args[0]
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f, object_pairs_hook=_no_duplicates, parse_constant=_no_constants)
    except (OSError, ValueError) as e:
        print(f"$: cannot read {path}: {e}")
        return 1
    roots = [k for k in doc if k != "$schema"] if isinstance(doc, dict) else []
    if len(roots) != 1:
        print(f"$: expected an object with one OSCAL root key, found {roots or type(doc).__name__}")
        return 1
    schema = schema_for(roots[0], complete)
    if schema is None:
        print(f"$: {roots[0]!r} is not an OSCAL model root key")
        return 1
    validator = validator_class(schema)(schema)
    errors = sorted(validator.iter_errors(doc), key=_order)
    if errors:
        for err in errors:
            print("\n".join(report(err)))
        print(f"{len(errors)} error(s)")
        return 1
    print("valid")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
