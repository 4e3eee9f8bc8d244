"""Scores CVSS vectors with Red Hat's `cvss` package, the independent
reference of tests/differential.rs.

Reads one vector per line on standard input and writes one JSON object per
line on standard output, in the same order:
  {"base": 9.8, "temporal": 9.8, "environmental": 9.8}  for CVSS v3.x
  {"score": 9.3}                                       for CVSS v4.0
  {"error": "..."}                                     when the package rejects it
Exits 3 with a message on standard error when the package is missing, so the
Rust test can fail with a clear instruction instead of skipping.
"""

import json
import sys

try:
    from cvss import CVSS3, CVSS4
    from cvss.exceptions import CVSSError
except ImportError as error:
    sys.stderr.write(f"the Python package `cvss` is not installed ({error}); run: pip install 'cvss==3.6'\n")
    sys.exit(3)


def score(vector):
    try:
        if vector.startswith("CVSS:4.0/"):
            return {"score": float(CVSS4(vector).base_score)}
        base, temporal, environmental = CVSS3(vector).scores()
        return {"base": float(base), "temporal": float(temporal), "environmental": float(environmental)}
    except CVSSError as error:
        return {"error": str(error)}


def main():
    out = sys.stdout
    for line in sys.stdin:
        out.write(json.dumps(score(line.strip())))
        out.write("\n")
    out.flush()


main()
