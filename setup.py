"""Packaging beyond pyproject.toml, so an installed wheel works without the checkout:
- data/ (bundled corpus and embedding cache) is installed as the package `anfragen_data`,
  found through importlib.resources (anfragen.paths);
- the Streamlit script app.py is copied into the package as anfragen/webapp.py, which
  `anfragen app` runs (in a checkout it runs app.py itself)."""

from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py


class BuildWithApp(build_py):
    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "anfragen"
        self.mkpath(str(target))  # an editable build may not have created it
        self.copy_file("app.py", str(target / "webapp.py"))


setup(
    packages=[*find_packages("src"), "anfragen_data"],
    package_dir={"": "src", "anfragen_data": "data"},
    cmdclass={"build_py": BuildWithApp},
)
