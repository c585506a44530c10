"""The administration API's routes, as the host's router declares them (JSON on stdin: a list of
{"method", "path", "access"}), against docs/admin-api.yaml: the same operations, each with the
same access (`x-mpos-access`), and the document's role table giving each role the permissions
the code gives it (JSON on stdin too: {"roles": {role: [permission, ...]}}).

Prints nothing and exits 0 when they agree; otherwise lists every difference and exits 1.
"""
import json
import re
import sys

import yaml

METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


def main() -> int:
    document = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
    declared = json.load(sys.stdin)
    routes = {(route["method"].lower(), route["path"]): route["access"] for route in declared["routes"]}
    documented = {}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                documented[(method, path)] = operation.get("x-mpos-access")
    problems = []
    for key in sorted(set(routes) | set(documented)):
        method, path = key
        if key not in documented:
            problems.append(f"{method.upper()} {path}: served, but not in the document")
        elif key not in routes:
            problems.append(f"{method.upper()} {path}: in the document, but not served")
        elif routes[key] != documented[key]:
            problems.append(f"{method.upper()} {path}: access {routes[key]!r} in the code, {documented[key]!r} in the document")
    # The role table in info.description: "| `role` | `perm`, `perm` |".
    table = {}
    for line in document["info"]["description"].splitlines():
        match = re.match(r"\s*\|\s*`([a-z-]+)`\s*\|(.*)\|\s*$", line)
        if match and match.group(1) in declared["roles"]:
            table[match.group(1)] = sorted(re.findall(r"`([a-z.]+)`", match.group(2)))
    for role, permissions in declared["roles"].items():
        if table.get(role) != sorted(permissions):
            problems.append(f"role {role}: {sorted(permissions)} in the code, {table.get(role)} in the document's table")
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
