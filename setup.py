"""Compile the Babel catalogs (.po -> .mo) as part of every build, so `pip install .` ships them, and
build the distress matcher's optional C walk (helpline/distress/_native.c): where no C compiler is
found the build goes on without it and the matcher walks in Python (same results, slower)."""
from __future__ import annotations

from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_py import build_py


class BuildWithCatalogs(build_py):
    """Run the normal build, then compile each locales/<lang>/LC_MESSAGES/messages.po into the build."""

    def run(self) -> None:
        super().run()
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for po_path in Path("locales").glob("*/LC_MESSAGES/messages.po"):
            with po_path.open("rb") as fh:
                catalog = read_po(fh)
            for target_root in (Path(self.build_lib), Path(".")):
                mo_path = target_root / po_path.with_suffix(".mo")
                mo_path.parent.mkdir(parents=True, exist_ok=True)
                with mo_path.open("wb") as out:
                    write_mo(out, catalog)


setup(cmdclass={"build_py": BuildWithCatalogs},
      ext_modules=[Extension("helpline.distress._native", ["helpline/distress/_native.c"], optional=True,
                             extra_compile_args=["-O2"])])
