#!/usr/bin/env python3
"""Are the outputs of two revisions of bract byte-identical?

    tools/compare_outputs.py BASE [HEAD]     (git revisions; HEAD defaults to
                                              the working tree as committed)

For each revision: export it (git archive) into a scratch directory, build it
(`make -j2`), run `make demo` and the CLI regression tests with their
temporary outputs kept, then compare every file the base run wrote with the
same file of the head run:

- NIfTI .nii.gz and other gzip files: the decompressed bytes;
- JSON (sidecars, records): the parsed objects without the keys that hold a
  date or a wall time (Date, WallTimeSeconds), every scratch path replaced by
  a placeholder;
- HDF5: `h5dump` output (the files carry object times), paths normalised;
- HTML reports: the text with dates, wall times and paths normalised;
- every other file: its bytes, with scratch paths normalised in text files.

Files only the head run writes (new tests, new outputs) are listed, not
failed.  Exit status 0 when nothing differs, 1 otherwise.  Used to prove
that a refactoring changes no output (issue 13); needs git, make, python3,
h5dump (hdf5-tools).
"""
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VOLATILE_KEYS = {"Date", "WallTimeSeconds"}
# Files that hold checksums or sizes of an HTML report, which embeds dates
# and wall times (the reports themselves are compared normalised).
VOLATILE_FILES = {"cli/test_report/sum1", "cli/test_report/sum2"}


def sh(cmd, cwd, log, env=None):
    with open(log, "ab") as f:
        r = subprocess.run(cmd, cwd=cwd, shell=True, stdout=f, stderr=subprocess.STDOUT,
                           env=env)
    return r.returncode


def run_revision(rev, work, tag):
    src = os.path.join(work, tag)
    os.makedirs(src)
    log = os.path.join(work, tag + ".log")
    if rev is None:
        rev = "HEAD"
    subprocess.run("git archive %s | tar -x -C %s" % (rev, src), shell=True, cwd=ROOT,
                   check=True)
    if sh("make -j2", src, log):
        sys.exit("build of %s failed: see %s" % (rev, log))
    sh("make demo", src, log)
    # The CLI tests with their scratch root kept: run.sh removes TMP_ROOT on
    # exit, so run a copy whose trap keeps it.
    runner = os.path.join(src, "tests/cli/run_keep.sh")
    with open(os.path.join(src, "tests/cli/run.sh")) as f:
        text = f.read()
    text = re.sub(r"TMP_ROOT=\$\(mktemp[^\n]*\)", 'TMP_ROOT="$KEEP_ROOT"', text)
    text = re.sub(r"trap 'rm -rf \"\$TMP_ROOT\"' EXIT", ":", text)
    with open(runner, "w") as f:
        f.write(text)
    keep = os.path.join(work, tag + "-cli")
    os.makedirs(keep)
    env = dict(os.environ, KEEP_ROOT=keep)
    sh("sh tests/cli/run_keep.sh ./bract", src, log, env)
    return src, keep


def normalise_text(s, roots):
    for r, name in roots:
        s = s.replace(r, name)
    s = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ?", "@DATE@", s)
    return s


def strip_json(o, keys):
    if isinstance(o, dict):
        return {k: strip_json(v, keys) for k, v in o.items() if k not in keys}
    if isinstance(o, list):
        return [strip_json(v, keys) for v in o]
    return o


def content(path, roots):
    name = os.path.basename(path)
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError):
            pass
    if name.endswith((".h5", ".hdf5")):
        out = subprocess.run(["h5dump", path], capture_output=True).stdout
        return normalise_text(out.decode("utf-8", "replace").replace(path, "@FILE@"), roots)
    if name.endswith(".json"):
        try:
            o = json.loads(raw.decode("utf-8"))
            keys = VOLATILE_KEYS
            if isinstance(o, dict) and o.get("Command") == "report":
                keys = keys | {"bytes"}  # the size of a page that embeds times
            return normalise_text(json.dumps(strip_json(o, keys), sort_keys=True, indent=1),
                                  roots)
        except (UnicodeDecodeError, ValueError):
            return raw
    if name.endswith(".html"):
        s = raw.decode("utf-8", "replace")
        s = normalise_text(s, roots)
        s = re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)? UTC", "@DATE@", s)
        s = s.replace("@DATE@ to @DATE@", "@DATE@")  # a run within one second or not
        s = re.sub(r"wall time [0-9.]+ (ms|s)", "wall time @WALL@", s)
        s = re.sub(r'(<span class="when">)[0-9.]+ (ms|s|min|h)', r"\1@WALL@", s)
        s = re.sub(r"(WallTimeSeconds\W+)[0-9.e+-]+", r"\1@WALL@", s)
        # The runs section lists runs by start time, to the second: runs of
        # the same second (pipeline -j 2) come in any order.  Compare the
        # set of run blocks, numbered alike.
        blocks = re.findall(r'<details class="run" id="run-\d+">.*?</details>', s, re.S)
        s = re.sub(r'<details class="run" id="run-\d+">.*?</details>', "", s, flags=re.S)
        s = re.sub(r'href="#run-\d+"', 'href="#run-@N@"', s)
        blocks = sorted(re.sub(r'id="run-\d+"', 'id="run-@N@"', b) for b in blocks)
        return s + "\n".join(blocks)
    try:
        return normalise_text(raw.decode("utf-8"), roots)
    except UnicodeDecodeError:
        return raw


def files_under(d):
    out = []
    for base, _, names in os.walk(d):
        for n in names:
            out.append(os.path.relpath(os.path.join(base, n), d))
    return sorted(out)


def main():
    if len(sys.argv) < 2 or sys.argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 2
    base_rev = sys.argv[1]
    head_rev = sys.argv[2] if len(sys.argv) > 2 else None
    work = tempfile.mkdtemp(prefix="bract-compare-")
    print("scratch: %s" % work)
    bsrc, bcli = run_revision(base_rev, work, "base")
    hsrc, hcli = run_revision(head_rev, work, "head")
    pairs = [(os.path.join(bsrc, "demo-output"), os.path.join(hsrc, "demo-output"), "demo"),
             (bcli, hcli, "cli")]
    broots = [(bcli, "@CLI@"), (bsrc, "@SRC@")]
    hroots = [(hcli, "@CLI@"), (hsrc, "@SRC@")]
    ndiff = nsame = nnew = 0
    for b, h, what in pairs:
        bf, hf = files_under(b), set(files_under(h))
        for rel in bf:
            if "%s/%s" % (what, rel) in VOLATILE_FILES:
                continue
            if rel not in hf:
                print("MISSING in head: %s/%s" % (what, rel))
                ndiff += 1
                continue
            if content(os.path.join(b, rel), broots) == content(os.path.join(h, rel), hroots):
                nsame += 1
            else:
                print("DIFFERS: %s/%s" % (what, rel))
                ndiff += 1
        for rel in sorted(hf - set(bf)):
            print("new in head: %s/%s" % (what, rel))
            nnew += 1
    print("%d files identical, %d differ or are missing, %d new in head" % (nsame, ndiff, nnew))
    if ndiff == 0:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print("kept for inspection: %s" % work)
    return 1 if ndiff else 0


if __name__ == "__main__":
    sys.exit(main())
