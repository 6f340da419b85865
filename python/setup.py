"""Build hooks of the bract Python package (the metadata is in
pyproject.toml): the version from the checkout's VERSION file, and a copy of
the built libbract.so inside the package, so that an installed package
needs no LD_LIBRARY_PATH.  The library copied is $BRACT_LIBRARY, else
../build/libbract.so (run `make` first); without either, the package finds
libbract.so at run time (BRACT_LIBRARY, then the system's search path, e.g.
after `make install`)."""

import os
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def version():
    try:
        with open(os.path.join(ROOT, "VERSION")) as f:
            return f.read().strip()
    except OSError:
        return "0+unknown"


def built_library():
    env = os.environ.get("BRACT_LIBRARY")
    if env:
        return env
    path = os.path.join(ROOT, "build", "libbract.so")
    return path if os.path.exists(path) else None


class BuildPy(build_py):
    def run(self):
        super().run()
        lib = built_library()
        dest = os.path.join(self.build_lib, "bract", "libbract.so")
        if lib:
            self.announce("bract: bundling %s" % lib, level=2)
            shutil.copyfile(os.path.realpath(lib), dest)
        else:
            self.announce("bract: no built libbract.so found (run `make` first, or set "
                          "BRACT_LIBRARY); the package will look for it at run time", level=3)


setup(version=version(), cmdclass={"build_py": BuildPy})
