"""The package's contents (the rest of its metadata is in pyproject.toml).

``conf/`` (the Hydra configuration tree) lives beside ``sim/`` in the repository, as the project's layout
asks, and is carried into an installed package as ``sim/conf`` so that a wheel or ``pip install .`` runs
from any directory (``sim/confdir.py`` looks in both places). Folders of data are listed as packages of
their own, which is how setuptools ships data folders.
"""

from pathlib import Path

from setuptools import find_namespace_packages, setup

HERE = Path(__file__).resolve().parent
CONF_GROUPS = sorted(p.name for p in (HERE / "conf").iterdir() if p.is_dir())

setup(
    # namespace packages: sim/behaviour and sim/ranking have no __init__.py
    packages=find_namespace_packages(include=["sim", "sim.*"], exclude=["*__pycache__"])
    + ["sim.conf"]
    + [f"sim.conf.{group}" for group in CONF_GROUPS],
    package_dir={"sim.conf": "conf"},
    package_data={
        "sim.params": ["*.json"],
        "sim.conf": ["*.yaml"],
        **{f"sim.conf.{group}": ["*.yaml"] for group in CONF_GROUPS},
    },
)
