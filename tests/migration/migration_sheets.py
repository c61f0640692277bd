"""System-list spreadsheets the migration tests write for govctl to read. Imported as ``migration_sheets``
(pytest puts this folder on sys.path: it is no package)."""
from __future__ import annotations

import csv
from pathlib import Path


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    """``path`` written as a UTF-8 CSV file of one header row and ``rows``."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path
