"""Validates advisory exports against their official JSON schemas.

Usage: python3 validate.py osv|cve5 FILE...

- osv: the OSV schema (validation/schema.json) shipped in PyPI `osv`
  (installed without its dependencies, for the schema file only);
- cve5: the CVE JSON 5.1.1 CNA published-container schema shipped in
  PyPI `cvelib`.

Prints each error and exits 1 if any document is invalid.
"""

import importlib.util
import json
import os
import sys

import jsonschema


def package_dir(name):
    spec = importlib.util.find_spec(name)
    return spec.submodule_search_locations[0]


def schema_for(kind):
    if kind == "osv":
        path = os.path.join(package_dir("osv"), "osv-schema", "validation", "schema.json")
    elif kind == "cve5":
        path = os.path.join(
            package_dir("cvelib"), "schemas", "CVE_JSON_cnaPublishedContainer_5.1.1.json"
        )
    else:
        sys.exit(f"unknown kind {kind!r}")
    with open(path) as f:
        return json.load(f)


def main():
    kind, files = sys.argv[1], sys.argv[2:]
    schema = schema_for(kind)
    cls = jsonschema.validators.validator_for(schema)
    validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    ok = True
    for file in files:
        with open(file) as f:
            doc = json.load(f)
        for error in sorted(validator.iter_errors(doc), key=lambda e: list(e.path)):
            ok = False
            path = "/".join(str(p) for p in error.absolute_path)
            print(f"{file}: /{path}: {error.message[:300]}")
    print("valid" if ok else "invalid")
    sys.exit(0 if ok else 1)


main()
