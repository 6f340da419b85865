"""The declarations of python/bract/_cdef.py agree with the library's
headers: cffi's ABI mode trusts them blindly, so a struct that gained a
field or a function whose arguments changed would corrupt memory instead of
failing.  This compiles, against include/bract, every function prototype of
the cdef (a conflicting redeclaration is a compile error) and static
assertions of every struct's size and field offsets and every constant's
value as cffi computed them."""

import os
import re
import shutil
import subprocess

import pytest

import bract
from bract._cdef import CDEF

from conftest import ROOT


def statements(text):
    """Top-level declarations of the cdef (comments removed)."""
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    out, depth, cur = [], 0, []
    for ch in text:
        cur.append(ch)
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == ";" and depth == 0:
            out.append(" ".join("".join(cur).split()))
            cur = []
    return out


def c_source():
    ffi = bract.ffi
    lines = ["#define _POSIX_C_SOURCE 200809L", "#include <stddef.h>", "#include <stdlib.h>",
             "#include <string.h>", "#include <bract/bract.h>", ""]
    protos = [s for s in statements(CDEF)
              if "(" in s and "{" not in s and not s.startswith("typedef")]
    lines += protos
    typedefs = ffi.list_types()[0]
    n = 0
    for name in typedefs:
        t = ffi.typeof(name)
        if t.kind == "struct" and t.fields is not None:
            lines.append("_Static_assert(sizeof(%s) == %d, \"sizeof %s\");"
                         % (name, ffi.sizeof(t), name))
            for fname, f in t.fields:
                lines.append("_Static_assert(offsetof(%s, %s) == %d, \"%s.%s\");"
                             % (name, fname, f.offset, name, fname))
                n += 1
        elif t.kind in ("enum", "primitive") and name.startswith("bract_"):
            lines.append("_Static_assert(sizeof(%s) == %d, \"sizeof %s\");"
                         % (name, ffi.sizeof(t), name))
    for const in sorted(set(re.findall(r"\b(BRACT_[A-Z0-9_]+)\s*=", CDEF))):
        lines.append("_Static_assert(%s == %d, \"%s\");" % (const, getattr(bract.lib, const),
                                                          const))
    return "\n".join(lines) + "\n", len(protos), n


def test_cdef_matches_the_headers(tmp_path):
    cc = os.environ.get("CC", "cc")
    if not shutil.which(cc):
        pytest.skip("no C compiler")
    build_include = os.path.join(os.path.dirname(bract.library_path), "include")
    if not os.path.exists(os.path.join(build_include, "bract", "version.h")):
        pytest.skip("no generated headers beside %s" % bract.library_path)
    src, nproto, nfields = c_source()
    assert nproto > 100 and nfields > 200
    f = tmp_path / "abi.c"
    f.write_text(src)
    p = subprocess.run([cc, "-std=c11", "-fsyntax-only", "-Werror", "-I",
                        os.path.join(ROOT, "include"), "-I", build_include, str(f)],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr[:4000]


def test_every_declared_function_is_in_the_library():
    missing = []
    for s in statements(CDEF):
        if "(" in s and "{" not in s and not s.startswith("typedef"):
            name = re.search(r"(\w+)\s*\(", s).group(1)
            if name.startswith("bract_") and not hasattr(bract.lib, name):
                missing.append(name)
    assert not missing
