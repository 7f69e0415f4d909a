"""`make verify-audit`: check the audit chain of the back office; exit 1 at the first break.

python -m app.cli.audit [--database-url URL]
"""

from __future__ import annotations

import argparse
import sys

from app.bootstrap import get_deps, get_settings, use_deps
from domain.usecases.audit import verify_audit


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.cli.audit", description=__doc__)
    parser.add_argument("--database-url", help="another back office than DATABASE_URL")
    args = parser.parse_args(argv)
    if args.database_url:
        from app.bootstrap import build_deps

        use_deps(build_deps(get_settings().model_copy(update={"database_url": args.database_url})))
    report = verify_audit(get_deps())
    if report.broken is None:
        print(f"audit chain OK: {report.rows} rows, head at seq {report.head_seq or 0}")
        return 0
    broken = report.broken
    print(
        f"audit chain BROKEN at seq {broken.seq} ({broken.table} row {broken.row_id}): "
        f"{broken.problem}",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
