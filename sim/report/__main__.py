"""Command line: ``python -m sim.report <sweep-dir> --baseline <label>``.

Writes ``<sweep-dir>/report/`` (or ``--out``): report.html (self-contained, figures embedded), report.pdf
(the same for print, A4; needs WeasyPrint, the 'pdf' extra, else one line says why there is none),
report.md with figures/*.png, effects.csv and levels.csv. Bad input gets one line naming the setting,
the value and what is allowed, exit code 2, and nothing is written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.report import pdf
from sim.report.build import ReportError, Request, check, write
from sim.report.effects import DEFAULT_PERCENT_PER_SD


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, like every other bad input
        print(f"error: {message} (see python -m sim.report --help)", file=sys.stderr)
        sys.exit(2)


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(prog="python -m sim.report", description="Policy report of a sweep (docs/guide/studies.md).")
    parser.add_argument("sweep_dir", type=Path, help="a sweep directory (made by python -m sim -m ...)")
    parser.add_argument("--baseline", required=True, help="the label the others are compared with")
    parser.add_argument(
        "--last-days",
        type=int,
        default=None,
        help="days at the end of each run that are averaged (default: 7, or the run if shorter)",
    )
    parser.add_argument(
        "--population",
        type=int,
        default=1_000_000,
        help="persons for the societal-value translation (default: 1,000,000)",
    )
    parser.add_argument(
        "--percent-per-sd",
        type=float,
        default=DEFAULT_PERCENT_PER_SD,
        help="%% improvement in mental wellbeing per SD of the wellbeing index "
        f"(default {DEFAULT_PERCENT_PER_SD:.1f}: WEMWBS SD/mean)",
    )
    parser.add_argument("--out", type=Path, default=None, help="report directory (default: <sweep-dir>/report)")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    try:
        checked = check(
            Request(args.sweep_dir, args.baseline, args.last_days, args.population, args.percent_per_sd, args.out)
        )
    except ReportError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    out = write(checked)
    made = (out / pdf.PDF_NAME).exists()
    print(
        f"report: {out / 'report.html'} (also {pdf.PDF_NAME + ', ' if made else ''}report.md, figures/, effects.csv, levels.csv)"
    )
    if not made:
        print(f"no {pdf.PDF_NAME}: {pdf.MISSING}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
