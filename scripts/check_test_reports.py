"""Refuse a test run that silently left out the PostgreSQL run or the browser tests.

Usage: python3 scripts/check_test_reports.py REPORT.xml [REPORT.xml ...]
Each report is pytest's JUnit XML for one database. A report must exist, have run tests, contain
browser tests (tests/e2e), and skip nothing except tests marked as belonging to the other database
(skip reason starting with "only on ")."""
import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def check(path):
    """Problems found in one report (an empty list when it is fine)."""
    if not Path(path).exists():
        return [f"{path}: missing — that database's run did not happen"]
    cases = ET.parse(path).getroot().iter("testcase")
    problems, total, browser = [], 0, 0
    for case in cases:
        total += 1
        name = f"{case.get('classname')}::{case.get('name')}"
        if "e2e" in (case.get("classname") or ""):
            browser += 1
        for outcome in ("failure", "error"):
            if case.find(outcome) is not None:
                problems.append(f"{path}: {outcome}: {name}")
        skipped = case.find("skipped")
        reason = (skipped.get("message") or "").removeprefix("Skipped: ") if skipped is not None else ""
        if skipped is not None and not reason.startswith("only on "):
            problems.append(f"{path}: skipped: {name} ({skipped.get('message')})")
    if total == 0:
        problems.append(f"{path}: no test ran")
    if browser == 0:
        problems.append(f"{path}: no browser test ran")
    print(f"{path}: {total} tests, {browser} in the browser")
    return problems


def main(paths):
    """Check every report; exit 1 with the reasons if any is wanting."""
    problems = [p for path in paths for p in check(path)]
    for problem in problems:
        print("REFUSED:", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
