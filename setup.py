"""Pure Python by default; `SIM_COMPILE=1 pip install .` compiles the event core with mypyc.

The metadata is in pyproject.toml; the choice of core is in build_support/sim_build_backend.py,
the build backend pyproject.toml names (it runs this file).
"""

from setuptools import setup
from sim_build_backend import ext_modules

setup(ext_modules=ext_modules())
