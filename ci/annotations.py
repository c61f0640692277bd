"""Validation problems where CI users look: GitHub workflow-command annotations and a JUnit XML report.

The JUnit report has one test case per rule and one per inventory file's shape check, so a CI test view
lists every rule in every run: passed, failed (one failure element per problem) or, for warnings, passed
with the warnings in its output.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from xml.etree import ElementTree as ET

from govctl.core.errors import Problem


def _escape_data(text: str) -> str:
    # GitHub's workflow-command encoding (toolkit/packages/core/src/command.ts)
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotations(problems: Iterable[Problem]) -> list[str]:
    """`::error file=…,line=…,title=…::message` lines (warnings as `::warning`), one per problem."""
    out = []
    for p in problems:
        props = [f"file={_escape_property(p.file)}"]
        if p.line is not None:
            props.append(f"line={p.line}")
        title = f"govctl {p.rule}" if p.rule else "govctl validate"
        props.append(f"title={_escape_property(title)}")
        message = f"{p.path}: {p.message}" if p.path else p.message
        if p.value is not None:
            message += f" (got {p.value})"
        out.append(f"::{'error' if p.severity == 'error' else 'warning'} {','.join(props)}::{_escape_data(message)}")
    return out


def junit_xml(suite: str, problems: Sequence[Problem], rules: Sequence[tuple[str, str]],
              files: Sequence[str]) -> str:
    """A JUnit XML report: ``rules`` as (id, title), ``files`` as the inventory files shown to the user."""
    cases: dict[str, tuple[str, str, list[Problem]]] = {}
    for rid, title in rules:
        cases[f"rule:{rid}"] = ("rules", f"{rid}: {title}", [])
    for f in files:
        cases[f"file:{f}"] = ("shape", f, [])
    for p in problems:
        key = f"rule:{p.rule}" if p.rule else f"file:{p.file}"
        if key not in cases:  # a problem of a file or rule not listed (e.g. a missing file): its own case
            cases[key] = ("rules" if p.rule else "shape", p.rule or p.file, [])
        cases[key][2].append(p)
    root = ET.Element("testsuites")
    failed = sum(1 for _, _, ps in cases.values() if any(p.severity == "error" for p in ps))
    ts = ET.SubElement(root, "testsuite", name=suite, tests=str(len(cases)), failures=str(failed), errors="0",
                       skipped="0")
    for _key, (classname, name, ps) in cases.items():
        tc = ET.SubElement(ts, "testcase", classname=f"govctl.validate.{classname}", name=name)
        errors = [p for p in ps if p.severity == "error"]
        if errors:
            failure = ET.SubElement(tc, "failure", type="InventoryInvalid",
                                    message=f"{len(errors)} problem(s): {errors[0].render()}")
            failure.text = "\n".join(p.render() for p in errors)
        warnings = [p for p in ps if p.severity != "error"]
        if warnings:
            ET.SubElement(tc, "system-out").text = "\n".join(p.render() for p in warnings)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"

