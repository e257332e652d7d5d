#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""validate_json.py SCHEMA_DIR PLAN: run a test's plan in one process (a
Python start is slow on a busy machine; the plan holds every check).

Every schema of SCHEMA_DIR must be a valid draft 2020-12 schema whose $id
ends in its file name; they resolve each other's $ref through a store keyed
by $id. PLAN has one tab-separated line a check:

  doc FILE SCHEMA              FILE (one JSON document) is valid against SCHEMA
  expect FILE EXPR WANT WHAT   the values of EXPR (Python, over j, FILE's
                               document; comma-separated values are joined
                               by spaces as print() does) are WANT
  stray FILE SCHEMA EXPR       FILE's document after the statement EXPR
                               (over j) is NOT valid against SCHEMA

Exit 0 when every check holds, 1 when one does not (each on stderr), 2 on
usage, 77 without python3-jsonschema. Works with python3-jsonschema 4.10 (Debian 12) and later:
RefResolver with a store (deprecated in 4.18, still there)."""
import copy
import glob
import json
import os
import sys
import warnings

try:
    import jsonschema
    from jsonschema import Draft202012Validator
except ImportError:
    print("validate_json: python3-jsonschema not installed (scripts/install-deps)")
    sys.exit(77)

DRAFT = "https://json-schema.org/draft/2020-12/schema"


def load_schemas(directory):
    store, bad = {}, []
    for path in sorted(glob.glob(os.path.join(directory, "*.json"))):
        name = os.path.basename(path)
        with open(path) as f:
            s = json.load(f)
        try:
            Draft202012Validator.check_schema(s)
        except jsonschema.SchemaError as e:
            bad.append(f"{name}: not a valid schema: {e.message}")
            continue
        if s.get("$schema") != DRAFT:
            bad.append(f"{name}: not draft 2020-12")
        if not s.get("$id", "").endswith("/" + name):
            bad.append(f"{name}: $id is not the file name")
        store[name] = s
        store[s["$id"]] = s
    return store, bad


def errors(store, schema, doc):
    s = store[schema]
    resolver = jsonschema.RefResolver.from_schema(s, store=store)
    v = Draft202012Validator(s, resolver=resolver)
    return ["/".join(str(p) for p in e.absolute_path) + ": " + e.message
            for e in v.iter_errors(doc)]


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    warnings.simplefilter("ignore", DeprecationWarning)
    store, bad = load_schemas(argv[1])
    n = 0
    with open(argv[2]) as plan:
        for line in plan:
            kind, path, *rest = line.rstrip("\n").split("\t")
            n += 1
            try:
                with open(path) as f:
                    doc = json.load(f)
            except (OSError, ValueError) as e:
                bad.append(f"{path}: not one JSON document: {e}")
                continue
            if kind == "doc":
                bad += [f"{path}: {rest[0]}: {e}" for e in errors(store, rest[0], doc)]
            elif kind == "expect":
                expr, want, what = rest
                got = " ".join(str(v) for v in eval(f"[{expr}]", {"j": doc}))
                if got != want:
                    bad.append(f"{what}: got '{got}', want '{want}' ({path})")
            elif kind == "stray":
                schema, stmt = rest
                j = copy.deepcopy(doc)
                exec(stmt, {"j": j})
                if not errors(store, schema, j):
                    bad.append(f"{schema} accepts {path} after: {stmt}")
            else:
                bad.append(f"plan: unknown check '{kind}'")
    for b in bad:
        print("FAIL:", b, file=sys.stderr)
    print(f"validate_json: {n} checks, {len(bad)} failed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
