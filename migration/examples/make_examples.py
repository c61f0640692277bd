"""Regenerate the committed example spreadsheets (systems.xlsx, systems.csv) for inventories/example.

Run with govctl installed: `python -m govctl.migration.examples.make_examples`. The rows are generated
(migration.synth, fixed seed) for the example inventory's departments; some rows have an empty
负责人 (owner) cell, which the assessment lists as zombie candidates ("no owner").
"""
from __future__ import annotations

import random
from datetime import date
from pathlib import Path

from govctl.inventory import models as m
from govctl.inventory.validate import load_valid
from govctl.migration.models import SystemExtra
from govctl.migration.sources import write_csv, write_xlsx
from govctl.migration.synth import generate

HERE = Path(__file__).resolve().parent
OWNERS = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨帆", "赵磊", "黄敏"]


def main() -> None:
    inv = load_valid(HERE.parents[1] / "inventories" / "example").inventory
    systems = [m.System.model_validate(e) for e in generate(inv, 40, 20261125, date(2026, 11, 20))]
    rnd = random.Random(7)
    extras = {s.id: SystemExtra(owner="" if rnd.random() < 0.08 else rnd.choice(OWNERS),
                                users=rnd.randint(5, 5000)) for s in systems}
    write_xlsx(HERE / "systems.xlsx", systems, extras, lang="zh")
    (HERE / "systems.csv").write_text(write_csv(systems, extras, lang="en"), encoding="utf-8")
    print(f"wrote {len(systems)} systems to {HERE}/systems.xlsx and systems.csv")


if __name__ == "__main__":
    main()
