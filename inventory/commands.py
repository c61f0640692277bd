"""`govctl validate`, `govctl rules`, `govctl init`, `govctl schema`: the inventory on the command line."""
from __future__ import annotations

import sys
from collections import Counter
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from govctl.core.clikit import (InventoryArg, JsonOpt, emit_json, escape, handle_errors, out, print_problems,
                                resolve_inventory)
from govctl.source import allocation_problem
from govctl.inventory.errors import InventoryInvalid
from govctl.ipv6.errors import AllocationError

app = typer.Typer()


class Format(str, Enum):
    text = "text"
    github = "github"


# ---------------------------------------------------------------- validate


@app.command()
@handle_errors
def validate(
    inventory: InventoryArg = None,
    as_json: JsonOpt = False,
    fmt: Annotated[Format, typer.Option("--format", help="github: also print each problem as a GitHub Actions "
                                        "annotation (::error file=…,line=…::…) on stdout.")] = Format.text,
    junit: Annotated[Path | None, typer.Option("--junit", help="Also write a JUnit XML report here: one test "
                                               "case per rule and per file.", show_default=False)] = None,
) -> None:
    """Check an inventory's shape and the plans' rules; report every problem with file, line and key.

    Warnings (e.g. not yet dual-stack) do not fail; any error exits 2. Nothing is written but the --junit report.

    Example: `govctl validate inventories/guangdong --json`
    Example (CI): `govctl validate inventories/guangdong --format github --junit validate.xml`
    """
    from govctl.inventory.validate import validate as run
    from govctl.ipv6.planner import plan

    directory, shown = resolve_inventory(inventory)
    report = run(directory, shown)
    problems = list(report.problems)
    ipv6_count = 0
    if report.loaded is not None and not report.errors:
        try:
            p = plan(report.loaded.inventory)
            ipv6_count = len(p.allocations)
            problems += [report.loaded.origins.in_file(
                             "ipv6-allocations.yaml", ("allocations", k),
                             "pinned allocation of something no longer in the inventory (kept reserved; "
                             "`govctl ipv6 plan --write --prune` frees it)", v, severity="warning")
                         for k, v in p.stale.items()]
        except AllocationError as exc:
            problems.append(allocation_problem(report.loaded, exc))
    errors = [p for p in problems if p.severity == "error"]
    _ci_outputs(directory, shown, problems, fmt, junit)
    stats = _stats(report.loaded.inventory) if report.loaded is not None else {}
    if ipv6_count:
        stats["ipv6_allocations"] = ipv6_count
    if as_json:
        emit_json({"inventory": shown, "valid": not errors, "stats": stats,
                   "problems": [p.as_dict() for p in problems]})
    if errors:  # every problem on stderr, then the summary, exit 2 (handle_errors)
        raise InventoryInvalid(problems)
    if as_json:
        return
    print_problems(problems)
    summary = ", ".join(f"{v} {k}" for k, v in stats.items())
    out.print(f"[green]{escape(shown)}: valid[/] ({len(problems)} warning(s)); {summary}", highlight=False)


def _ci_outputs(directory: Path, shown: str, problems: list[Any], fmt: Format, junit: Path | None) -> None:
    from govctl.ci.annotations import github_annotations, junit_xml
    from govctl.inventory.loader import FILES
    from govctl.inventory.rules import RULES
    from govctl.inventory.yamlwrite import write_atomic

    if fmt == Format.github:
        sys.stdout.write("".join(f"{line}\n" for line in github_annotations(problems)))
    if junit is not None:
        junit.parent.mkdir(parents=True, exist_ok=True)
        files = [f"{shown}/{name}" for name in FILES if (directory / name).exists()]
        write_atomic(junit, junit_xml(f"govctl validate {shown}", problems, [(r.id, r.title) for r in RULES], files))


def _stats(inv: Any) -> dict[str, int]:
    kinds = Counter(p.kind.value for p in inv.platforms)
    divisions = Counter(t.value for t in inv.divisions().values())
    return {
        "cities": divisions.get("city", 0),
        "counties": divisions.get("county", 0),
        "towns": divisions.get("town", 0),
        "sites": len(inv.sites.sites),
        "platforms": len(inv.platforms),
        "industry_platforms": kinds.get("industry", 0),
        "municipal_platforms": kinds.get("municipal", 0),
        "departments": len(inv.departments),
        "tenants": len(inv.tenants),
        "extranet_nodes": len(inv.nodes),
        "extranet_links": len(inv.links),
        "dedicated_networks": len(inv.dedicated_networks),
        "systems": len(inv.systems),
    }


# ---------------------------------------------------------------- rules


@app.command()
@handle_errors
def rules(as_json: JsonOpt = False) -> None:
    """List the plans' rules that `validate` checks: id, severity, source.

    Example: `govctl rules --json`
    """
    from govctl.inventory.rules import RULES

    rows = [{"id": r.id, "severity": r.severity, "title": r.title, "source": r.source} for r in RULES]
    if as_json:
        emit_json(rows)
        return
    table = Table("id", "severity", "rule", "source")
    for r in rows:
        table.add_row(r["id"], r["severity"], r["title"], r["source"])
    out.print(table)


# ---------------------------------------------------------------- schema


@app.command()
@handle_errors
def schema(
    out_dir: Annotated[Path, typer.Option("--out", metavar="DIR", help="Write <file>.schema.json here.")] = Path(
        "schemas"),
    as_json: JsonOpt = False,
) -> None:
    """Write a JSON Schema per inventory file (province.yaml, tenants.yaml, ...) from the typed model, so that
    editors check the YAML as you type (yaml-language-server: put
    `# yaml-language-server: $schema=schemas/tenants.schema.json` on a file's first line).

    Example: `govctl schema --out inventories/hubei/.schemas`
    """
    import json

    from govctl.core.errors import RuntimeFailure
    from govctl.inventory.loader import FILES

    written = []
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for name, (model, required) in FILES.items():
            doc = {"$schema": "https://json-schema.org/draft/2020-12/schema",
                   "title": f"govctl inventory: {name}" + ("" if required else " (optional)"),
                   **model.model_json_schema()}
            target = out_dir / name.replace(".yaml", ".schema.json")
            target.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
            written.append(str(target))
    except OSError as exc:
        raise RuntimeFailure(f"cannot write {out_dir}: {exc.strerror}") from exc
    if as_json:
        emit_json({"written": written})
        return
    out.print(f"wrote {len(written)} schemas to {out_dir}", highlight=False)


# ---------------------------------------------------------------- init

# What `init` copies from the bundled example: every file a province needs, commented key by key. The pinned
# allocations are left out (the new province's plan is its own: `govctl ipv6 plan --write` pins it), and
# so are the example's systems and dedicated networks (a migration and a cutover come later, per province).
# The template `init` copies (never an inventory any command falls back to).
INIT_TEMPLATE = Path(__file__).resolve().parent.parent / "inventories" / "example"
INIT_FILES = ("province.yaml", "sites.yaml", "clouds.yaml", "departments.yaml", "tenants.yaml", "extranet.yaml",
              "ipv6.yaml")


@app.command()
@handle_errors
def init(
    province: Annotated[str, typer.Argument(metavar="PROVINCE", help="The new province's id (lowercase, e.g. "
                                                                     "'hubei'); also its directory name.")],
    directory: Annotated[Path | None, typer.Argument(metavar="[DIR]", help="Where to write it (default: "
                                                                           "./PROVINCE); must not exist or be "
                                                                           "empty.", show_default=False)] = None,
    name: Annotated[str | None, typer.Option("--name", help="The province's name as its plan writes it "
                                                            "(e.g. 湖北省).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Scaffold a new inventory that validates: the bundled example's files with every key commented, under the
    new province's id and name, ready to be edited into the real one.

    Example: `govctl init hubei --name 湖北省 && govctl validate hubei`
    """
    import re
    import shutil
    import tempfile

    from govctl.core.errors import InputError, RuntimeFailure
    from govctl.inventory.validate import validate as run

    if not re.fullmatch(r"[a-z][a-z0-9-]{0,31}", province):
        raise InputError(f"PROVINCE: an id of lowercase letters, digits and '-', starting with a letter "
                         f"(got {province!r})")
    target = directory or Path(province)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise InputError(f"{target}: exists and is not an empty directory; nothing was written")
    texts = {f: (INIT_TEMPLATE / f).read_text(encoding="utf-8") for f in INIT_FILES}
    # only the values that say which province this is change (round-trip edit: comments and layout stay
    # the example's)
    from govctl.inventory.yamlwrite import edit_text, write_atomic

    def rename(data: Any) -> None:
        data["id"] = province
        if name:
            data["name"] = name
            plan = str(data.get("plan") or "")
            if plan.startswith("示例省"):
                data["plan"] = name + plan.removeprefix("示例省")

    texts["province.yaml"] = edit_text(texts["province.yaml"], "province.yaml", rename)
    parent = target.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{province}-", dir=parent))
        for f, text in texts.items():
            write_atomic(staging / f, text)
        report = run(staging, str(target))
        if report.errors:  # never leave an inventory behind that does not validate
            raise InventoryInvalid(report.problems)
        if target.exists():
            target.rmdir()
        staging.rename(target)  # the directory appears whole or not at all
    except OSError as exc:
        raise RuntimeFailure(f"cannot write {target}: {exc.strerror}") from exc
    finally:
        if "staging" in locals() and staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    if as_json:
        emit_json({"inventory": str(target), "files": list(INIT_FILES)})
        return
    out.print(f"wrote {target}/ ({len(INIT_FILES)} files, from the bundled example). Next: edit them, then\n"
              f"  govctl validate {target}\n  govctl ipv6 plan {target} --write", highlight=False)
