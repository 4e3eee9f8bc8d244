"""Validates advisory exports against their official JSON schemas.

Usage: python3 validate.py osv|cve5 FILE...

- osv: the OSV schema (validation/schema.json) shipped in PyPI `osv`
  (installed without its dependencies, for the schema file only), which
  must be a 1.6.x release: the schema's own CHANGELOG.md, shipped beside
  it, names the last released version (osv 0.0.22 ships 1.6.7);
- cve5: the CVE JSON 5.1.1 CNA published-container schema shipped in
  PyPI `cvelib`.

Prints each error and exits 1 if any document is invalid.
"""

import importlib.util
import json
import os
import re
import sys

import jsonschema


def package_dir(name):
    spec = importlib.util.find_spec(name)
    return spec.submodule_search_locations[0]


def osv_schema_version(root):
    """The last version the OSV schema's CHANGELOG.md says was released."""
    with open(os.path.join(root, "CHANGELOG.md")) as f:
        versions = re.findall(r"Released version (\d+\.\d+\.\d+)", f.read())
    return versions[-1] if versions else None


def schema_for(kind):
    if kind == "osv":
        root = os.path.join(package_dir("osv"), "osv-schema")
        version = osv_schema_version(root)
        if version is None or not version.startswith("1.6."):
            sys.exit(f"the installed OSV schema is {version}, not 1.6.x")
        print(f"OSV schema {version}")
        path = os.path.join(root, "validation", "schema.json")
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
