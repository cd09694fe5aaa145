"""The report as a PDF beside its HTML, to attach to a memo: WeasyPrint lays out report.html with the print
rules of its stylesheet (A4, figures embedded, wide tables wrapped to the page; document.py).

WeasyPrint comes with the optional 'pdf' extra (in 'dev' too) and needs the Pango library of the system.
The base install builds every other file of the report: without WeasyPrint or Pango the report is written
without a PDF, and ``MISSING`` says in one line why and how to get one.
"""

from __future__ import annotations

import contextlib
import io
import logging
from pathlib import Path

try:
    # When Pango is missing WeasyPrint prints a notice of several lines before raising OSError; MISSING
    # below says the same in one line.
    with contextlib.redirect_stdout(io.StringIO()):
        import weasyprint
except ImportError:
    weasyprint = None
    MISSING = (
        "WeasyPrint is not installed; install the 'pdf' extra (scripts/bootstrap.sh pdf, "
        "or pip install -e '.[pdf]') and run python -m sim.report again"
    )
except OSError as e:
    weasyprint = None
    MISSING = (
        f"WeasyPrint cannot load the Pango library ({str(e).splitlines()[0]}); install it "
        "(Debian/Ubuntu: apt-get install libpango-1.0-0 libpangoft2-1.0-0; macOS: brew install pango) "
        "and run python -m sim.report again"
    )
else:
    MISSING = None

PDF_NAME = "report.pdf"


def write(html_path: Path, pdf_path: Path) -> Path | None:
    """Render ``html_path`` (self-contained: its figures are data: URIs) into ``pdf_path``. Returns the PDF's
    path, or None when WeasyPrint cannot run here (``MISSING`` says why)."""
    if weasyprint is None:
        return None
    # WeasyPrint logs every CSS rule meant for screens only (e.g. the navigation's columns) at WARNING,
    # which Python's last-resort handler would print; the PDF does not depend on them.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    weasyprint.HTML(filename=str(html_path)).write_pdf(str(pdf_path))
    return pdf_path
