"""The policy report of a sweep: ``python -m sim.report <sweep-dir> --baseline <label>``.

``effects.py`` defines the derived quantities (paired effects, SD units, the societal-cost translation),
``figures.py`` draws, ``document.py`` renders HTML and Markdown, ``pdf.py`` prints the HTML to a PDF (with the
optional WeasyPrint), ``build.py`` assembles and writes.
"""

from sim.report.build import ReportError, Request, check, write

__all__ = ["ReportError", "Request", "check", "write", "make"]


def make(sweep_dir, baseline: str, **options):
    """Write the report of ``sweep_dir`` against ``baseline``; returns the report directory."""
    from pathlib import Path

    return write(check(Request(Path(sweep_dir), baseline, **options)))
