#!/usr/bin/env python3
"""Apply doc/api-renames.tsv to source files: the one-time move of bract's
public API to one prefix per header (issue 13), kept as a tool so that code
written against bract 0.1 (your own programs, branches made before the move)
can be brought up to date the same way:

    tools/api_rename.py [FILE_OR_DIR...]     (default: the repository's tracked
                                              C, header, man-page, Python and
                                              Markdown files)

Each line of the table is `old<TAB>new` and replaces the identifier `old`
where it stands as a whole word; `old*<TAB>new*` replaces a prefix
(bract_cmp_plan -> bract_compare_plan for every bract_cmp_* identifier).
Exact names are applied before prefixes, longest first, so a specific entry
wins over a prefix rule.  Files are rewritten in place only when they change.
"""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TABLE = os.path.join(ROOT, "doc", "api-renames.tsv")
EXTS = (".c", ".h", ".py", ".md", ".1", ".3", ".5", ".sh", ".in")


def load():
    exact, prefix = {}, []
    with open(TABLE) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#") or line.startswith("old\t"):
                continue
            old, new = line.split("\t")[:2]
            if old.endswith("*"):
                prefix.append((old[:-1], new[:-1]))
            else:
                exact[old] = new
    prefix.sort(key=lambda p: -len(p[0]))
    return exact, prefix


def files(args):
    if not args:
        out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True,
                             text=True).stdout.split()
        return [os.path.join(ROOT, p) for p in out
                if p.endswith(EXTS) and not p.startswith(("testdata/", "doc/api-renames"))
                and p not in ("tools/api_rename.py", "doc/HACKING.md")]
    res = []
    for a in args:
        if os.path.isdir(a):
            for base, _, names in os.walk(a):
                res += [os.path.join(base, n) for n in names if n.endswith(EXTS)]
        else:
            res.append(a)
    return res


def main():
    exact, prefix = load()
    ident = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]*\b")

    def repl(m):
        w = m.group(0)
        if w in exact:
            return exact[w]
        for old, new in prefix:
            if w.startswith(old) and w not in exact.values():
                return new + w[len(old):]
        return w

    changed = 0
    for path in files(sys.argv[1:]):
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except (UnicodeDecodeError, OSError):
            continue
        new = ident.sub(repl, text)
        if new != text:
            with open(path, "w", encoding="utf-8") as f:
                f.write(new)
            changed += 1
    print("api_rename: %d files changed" % changed)


if __name__ == "__main__":
    main()
