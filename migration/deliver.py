"""The deliverables of ``govctl migrate waves``: the inventory as the waves leave it (the user's files edited in
place, comments and layout kept), the change board's documents and each wave's runbook, written together.

The command parses options and calls ``write_waves``; this module holds the orchestration (which files, in
which form, validated before anything is written).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from govctl.migration import files as fs
from govctl.migration.render import (apply_to_systems, apply_to_tenants, changes_document, plan_dict, runbook,
                                     waves_markdown)


def write_waves(ctx: Any, plan: Any, a: Any, applied: list[Any], systems: Path | None, output: Path | None,
                write: bool, lang: str) -> None:
    """Write ``output``/ (waves.md, waves.docx, waves.json, assessment.json, wave-NN/runbook.md and changes.yaml,
    inventory/) and, with ``write``, the changes of ``applied`` into the inventory in place. The edited inventory
    is validated first: nothing is written for a candidate that does not load. ``ctx`` is the command's
    MigrationContext, ``a`` its assessment, ``systems`` the --systems file when the list came from one."""
    if output is None and not write:
        return
    # imported here: the YAML writer and python-docx cost time, and only this command needs them
    from govctl.inventory.yamlwrite import dump_text, edit_text

    header = (f"Written by govctl migrate waves (waves 1..{len(applied)} of {len(plan.waves)}); "
              "review the diff before committing.")
    # the user's files are edited in place (comments, order and layout kept); a list read from a
    # spreadsheet replaces systems.yaml, so that one is written new
    tenants_text = edit_text(fs.read_text(ctx.loaded.directory, "tenants.yaml"), f"{ctx.shown}/tenants.yaml",
                             lambda d: apply_to_tenants(d, ctx.inv, applied))
    if ctx.source.kind == "yaml" and systems is None:
        systems_text = edit_text(fs.read_text(ctx.loaded.directory, "systems.yaml"),
                                 f"{ctx.shown}/systems.yaml", lambda d: apply_to_systems(d, applied))
    else:  # a list read from a spreadsheet: merged into the user's systems.yaml, entry by entry
        new_list = fs.systems_raw(ctx.source.systems)
        current = fs.read_text(ctx.loaded.directory, "systems.yaml")
        if current.strip():
            systems_text = edit_text(current, f"{ctx.shown}/systems.yaml",
                                     lambda d: apply_to_systems(fs.merge_systems(d, new_list) or d, applied))
        else:
            systems_text = dump_text(apply_to_systems(new_list, applied), header=header)
    in_place = {"tenants.yaml": tenants_text, "systems.yaml": systems_text}
    candidate = fs.inventory_files(ctx.loaded.directory, in_place)
    preview = f"{output}/inventory" if output is not None else ctx.shown
    fs.validate_candidate(candidate, preview)
    if output is not None:
        from govctl.migration.docx_plan import docx_bytes

        files_out: dict[str, bytes | str] = {}
        files_out["waves.md"] = waves_markdown(plan, a, lang)
        files_out["waves.docx"] = docx_bytes(plan, a, lang)
        files_out["waves.json"] = json.dumps(plan_dict(plan, a), ensure_ascii=False, indent=2) + "\n"
        files_out["assessment.json"] = json.dumps([s.as_dict() for s in a.systems], ensure_ascii=False,
                                                  indent=2) + "\n"
        for w in plan.waves:
            files_out[f"wave-{w.number:02d}/runbook.md"] = runbook(w, plan, a, ctx.shown, preview, lang)
            files_out[f"wave-{w.number:02d}/changes.yaml"] = fs.dump_yaml(
                changes_document(w), f"Inventory changes of wave {w.number} ({ctx.shown}).")
        files_out.update({f"inventory/{k}": v for k, v in candidate.items()})
        fs.write_tree(output, files_out)
    if write:
        fs.write_in_place(ctx.loaded.directory, in_place)
