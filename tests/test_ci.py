"""CI integration: annotations and JUnit from `validate`, the plan's Markdown cut by priority, one pull-request
comment edited in place (against stand-in GitHub and GitLab APIs on 127.0.0.1), and templates whose govctl
command lines parse."""
from __future__ import annotations

import json
import re
import shlex
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse
from xml.etree import ElementTree as ET

import pytest
import typer
import yaml
from typer.testing import CliRunner, Result

from govctl import cli
from govctl.ci.annotations import github_annotations
from govctl.ci.comment import MARKER
from govctl.core.errors import Problem
from govctl.inventory.rules import RULES
from govctl.stacks.models import Change, InputChange, PlanResult, StackDiff, Violation
from govctl.stacks.render import markdown

ROOT = Path(cli.__file__).resolve().parent
EXAMPLE = ROOT / "inventories" / "example"
TOKEN = "ghp_secret-token-0123456789"


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli.app, list(args), env=env)


def broken_inventory(tmp_path: Path) -> tuple[Path, int]:
    """The example with one site's latitude out of range (a shape error) and a DR rule broken."""
    d = tmp_path / "inv"
    shutil.copytree(EXAMPLE, d, ignore=shutil.ignore_patterns(".govctl"))
    sites = (d / "sites.yaml").read_text(encoding="utf-8")
    assert sites.count("latitude: 23.13 ") == 1
    (d / "sites.yaml").write_text(sites.replace("latitude: 23.13 ", "latitude: 923.13"), encoding="utf-8")
    line = next(n for n, row in enumerate((d / "sites.yaml").read_text().splitlines(), 1) if "923.13" in row)
    return d, line


# ---------------------------------------------------------------- validate: annotations and JUnit


def test_validate_prints_github_annotations_at_the_line(tmp_path: Path) -> None:
    d, line = broken_inventory(tmp_path)
    result = run("validate", str(d), "--format", "github")
    assert result.exit_code == 2
    ann = [ln for ln in result.stdout.splitlines() if ln.startswith("::")]
    assert any(ln.startswith(f"::error file={d}/sites.yaml,line={line},title=govctl validate::sites[0].latitude")
               for ln in ann), ann
    # the human-readable problems still go to stderr
    assert f"{d}/sites.yaml:{line}: error" in result.stderr


def test_annotation_encoding_keeps_one_line_per_problem() -> None:
    p = Problem("inv/a,b:c.yaml", 3, "x", "first line\nsecond 100%", "v", rule="NET-001")
    [line] = github_annotations([p])
    assert line == "::error file=inv/a%2Cb%3Ac.yaml,line=3,title=govctl NET-001::x: first line%0Asecond 100%25 (got v)"
    [warn] = github_annotations([Problem("f.yaml", None, "", "m", severity="warning")])
    assert warn == "::warning file=f.yaml,title=govctl validate::m"


def _cases(xml: str) -> dict[str, ET.Element]:
    root = ET.fromstring(xml)
    [suite] = root.findall("testsuite")
    cases = {tc.get("name", ""): tc for tc in suite.findall("testcase")}
    assert int(suite.get("tests", "0")) == len(cases)
    return cases


def test_junit_lists_every_rule_and_file_and_fails_only_the_broken(tmp_path: Path) -> None:
    report = tmp_path / "out" / "validate.xml"
    assert run("validate", str(EXAMPLE), "--junit", str(report)).exit_code == 0
    cases = _cases(report.read_text(encoding="utf-8"))
    for r in RULES:  # every rule is reported in every run, passing or not
        assert f"{r.id}: {r.title}" in cases
    assert f"{EXAMPLE}/tenants.yaml" in cases
    assert not [n for n, tc in cases.items() if tc.find("failure") is not None]
    warned = [n for n, tc in cases.items() if tc.find("system-out") is not None]
    assert any(n.startswith("V6-001") for n in warned)  # warnings are output, not failures

    d, line = broken_inventory(tmp_path)
    assert run("validate", str(d), "--junit", str(report)).exit_code == 2
    cases = _cases(report.read_text(encoding="utf-8"))
    failed = {n: tc.find("failure") for n, tc in cases.items() if tc.find("failure") is not None}
    assert list(failed) == [f"{d}/sites.yaml"]
    assert f"{d}/sites.yaml:{line}: error: sites[0].latitude" in (failed[f"{d}/sites.yaml"].text or "")
    assert ET.fromstring(report.read_text()).find("testsuite").get("failures") == "1"  # type: ignore[union-attr]


# ---------------------------------------------------------------- the plan's Markdown, cut by priority


def _change(kind: str, i: int, stack: str) -> Change:
    inputs = (InputChange("description", "old " * 5, "new " * 5),) if kind == "update" else ()
    return Change(kind, f"urn:{stack}:{kind}:{i}", "openstack:networking/network:Network",  # type: ignore[arg-type]
                  f"{stack}-{kind}-{i:04d}", None, inputs)


def _plan(n: int) -> PlanResult:
    diffs = []
    for stack in ("prov", "health"):
        changes = [_change(k, i, stack) for i in range(n) for k in ("create", "update", "delete")]
        diffs.append(StackDiff(stack, "git:main", changes, resources=3 * n))
    return PlanResult("inventories/example", diffs, [])  # type: ignore[call-arg]


def test_markdown_keeps_deletes_then_updates_then_creates_and_every_stack_row() -> None:
    result = _plan(60)
    full = markdown(result)
    assert all(f"{s}-{k}-0059" in full for s in ("prov", "health") for k in ("create", "update", "delete"))
    text = markdown(result, limit=9_000)
    assert len(text) <= 9_000
    assert "| prov | 60 | 0 | 60 | 60 | git:main |" in text and "| health | 60 | 0 | 60 | 60 | git:main |" in text
    # every delete made it; creates are what was cut
    assert all(f"{s}-delete-{i:04d}" in text for s in ("prov", "health") for i in range(60))
    assert "prov-create-0059" not in text and "health-create-0000" not in text
    assert text.index("summary>prov: 60 to delete or replace") < text.index("summary>prov: 60 to update")
    assert re.search(r"truncated .*: .*\d+ create", text)
    assert text.count("```") % 2 == 0 and text.count("<details>") == text.count("</details>")


def test_markdown_fits_the_comment_limit_for_a_province_sized_plan() -> None:
    text = markdown(_plan(3_000))  # 18,000 changes, several MB uncut
    assert len(text) <= 65_000
    assert "| prov | 3000 | 0 | 3000 | 3000 |" in text and "| health | 3000 | 0 | 3000 | 3000 |" in text
    assert "prov-delete-0000" in text and "create" in text.rsplit("truncated", 1)[1]


def test_markdown_bounds_the_violations_and_keeps_mandatory_first() -> None:
    result = _plan(1)
    result.violations.extend(Violation("advisory-" + str(i), "advisory", "prov", f"urn:{i}", "x" * 300)
                             for i in range(400))
    result.violations.append(Violation("sharing-declared", "mandatory", "prov", "urn:m", "undeclared share"))
    text = markdown(result, limit=20_000)
    assert len(text) <= 20_000
    assert text.index("sharing-declared") < text.index("advisory-0")
    assert re.search(r"and \d+ more violation", text)
    assert "| prov | 1 | 0 | 1 | 1 |" in text


# ---------------------------------------------------------------- one comment, edited in place


class Forge:
    """A stand-in for GitHub's issue-comments API and GitLab's merge-request notes API."""

    def __init__(self) -> None:
        self.comments: dict[int, str] = {}
        self.next_id = 1000
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.fail: int | None = None

    def add(self, body: str) -> int:
        self.next_id += 1
        self.comments[self.next_id] = body
        return self.next_id


@pytest.fixture()
def forge() -> Iterator[tuple[Forge, str]]:
    state = Forge()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, code: int, data: Any, headers: dict[str, str] | None = None) -> None:
            raw = json.dumps(data).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(raw)

        def _handle(self) -> None:
            url = urlparse(self.path)
            state.requests.append((self.command, url.path, dict(self.headers.items())))
            if state.fail:
                return self._send(state.fail, {"message": "Bad credentials"})
            n = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(n)) if n else {}
            q = {k: v[0] for k, v in parse_qs(url.query).items()}
            gh = re.fullmatch(r"/repos/owner/repo/issues/(?:7/comments|comments/(\d+))", url.path)
            gl = re.fullmatch(r"/api/v4/projects/42/merge_requests/7/notes(?:/(\d+))?", url.path)
            if not (gh or gl):
                return self._send(404, {"message": "Not Found"})
            cid = (gh or gl).group(1)  # type: ignore[union-attr]
            if self.command == "GET":
                page, per = int(q.get("page", 1)), int(q.get("per_page", 30))
                ids = sorted(state.comments)[(page - 1) * per: page * per]
                more = page * per < len(state.comments)
                return self._send(200, [{"id": i, "body": state.comments[i]} for i in ids],
                                  {"X-Next-Page": str(page + 1) if more and gl else ""})
            if self.command == "POST" and cid is None:
                return self._send(201, {"id": state.add(body["body"]), "html_url": "http://127.0.0.1/c"})
            if self.command in ("PATCH", "PUT") and cid is not None and int(cid) in state.comments:
                state.comments[int(cid)] = body["body"]
                return self._send(200, {"id": int(cid)})
            return self._send(405, {"message": "no"})

        do_GET = do_POST = do_PATCH = do_PUT = _handle

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _gh_env(url: str, tmp_path: Path) -> dict[str, str]:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7}}))
    return {"GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": "owner/repo", "GITHUB_API_URL": url,
            "GITHUB_EVENT_PATH": str(event)}


def test_github_comment_is_created_once_then_edited_in_place(forge: tuple[Forge, str], tmp_path: Path) -> None:
    state, url = forge
    for i in range(130):  # someone else's comments, so the marker is on the second page
        state.add(f"review comment {i}")
    env = _gh_env(url, tmp_path)
    body = tmp_path / "plan.md"
    body.write_text("### govctl plan\n1 to create\n")
    first = run("ci", "comment", str(body), "--key", "inventories/example", "--json", env=env)
    assert first.exit_code == 0, first.stdout + first.stderr
    assert json.loads(first.stdout)["action"] == "created"
    body.write_text("### govctl plan\n2 to create\n")
    second = run("ci", "comment", str(body), "--key", "inventories/example", "--json", env=env)
    assert json.loads(second.stdout)["action"] == "updated"
    third = run("ci", "comment", str(body), "--key", "inventories/example", "--json", env=env)
    assert json.loads(third.stdout)["action"] == "unchanged"
    mine = {i: b for i, b in state.comments.items() if MARKER.format(key="inventories/example") in b}
    assert len(mine) == 1 and list(mine.values())[0].endswith("2 to create\n")
    assert len(state.comments) == 131  # nobody else's comment was touched
    assert all(h.get("Authorization") == f"Bearer {TOKEN}" for _, _, h in state.requests)
    # another inventory gets its own comment
    other = run("ci", "comment", str(body), "--key", "inventories/guangdong", "--json", env=env)
    assert json.loads(other.stdout)["action"] == "created" and len(state.comments) == 132
    for r in (first, second, third, other):
        assert TOKEN not in r.stdout + r.stderr


def test_gitlab_note_is_created_once_then_edited_in_place(forge: tuple[Forge, str], tmp_path: Path) -> None:
    state, url = forge
    for i in range(105):
        state.add(f"note {i}")
    env = {"GOVCTL_NOTE_TOKEN": TOKEN, "CI_API_V4_URL": f"{url}/api/v4", "CI_PROJECT_ID": "42",
           "CI_MERGE_REQUEST_IID": "7"}
    body = tmp_path / "plan.md"
    actions = []
    for text in ("a\n", "b\n"):
        body.write_text(text)
        r = run("ci", "comment", str(body), "--forge", "gitlab", "--json", env=env)
        assert r.exit_code == 0, r.stdout + r.stderr
        actions.append(json.loads(r.stdout)["action"])
    assert actions == ["created", "updated"]
    assert sum(1 for b in state.comments.values() if MARKER.format(key="plan") in b) == 1
    assert {h.get("Private-Token") or h.get("PRIVATE-TOKEN") for _, _, h in state.requests} == {TOKEN}


def test_a_refusing_forge_fails_with_its_answer_and_no_token(forge: tuple[Forge, str], tmp_path: Path) -> None:
    state, url = forge
    state.fail = 401
    body = tmp_path / "plan.md"
    body.write_text("x\n")
    r = run("ci", "comment", str(body), env=_gh_env(url, tmp_path))
    assert r.exit_code == 1
    assert "answered 401: Bad credentials" in r.stderr and TOKEN not in r.stdout + r.stderr


def test_comment_setup_errors_are_input_errors(tmp_path: Path) -> None:
    body = tmp_path / "plan.md"
    body.write_text("x\n")
    r = run("ci", "comment", str(body), env={"GITHUB_TOKEN": "", "GH_TOKEN": ""})
    assert r.exit_code == 2 and "GITHUB_TOKEN" in r.stderr
    r = run("ci", "comment", str(tmp_path / "missing.md"), env={"GITHUB_TOKEN": TOKEN})
    assert r.exit_code == 2 and "missing.md" in r.stderr
    r = run("ci", "comment", str(body), "--forge", "gitlab", env={"GOVCTL_NOTE_TOKEN": ""})
    assert r.exit_code == 2 and "GOVCTL_NOTE_TOKEN" in r.stderr


# ---------------------------------------------------------------- the templates


def _govctl_lines(doc: Any) -> list[str]:
    """Every govctl invocation in a workflow's `run:` or a GitLab job's `script:`."""
    texts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if k in ("run", "script") and isinstance(v, str):
                    texts.append(v)
                elif k == "script" and isinstance(v, list):
                    texts.extend(x for x in v if isinstance(x, str))
                else:
                    walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(doc)
    lines = []
    for text in texts:
        for part in re.split(r"[\n;]|&&|\|\|", text):
            part = part.strip()
            if part.startswith("test ! -s plan.md"):
                continue
            if part.startswith("govctl "):
                lines.append(part.split(" > ")[0])
    return lines


def _parses(line: str) -> list[str]:
    """Parse a govctl command line as the CLI would (options checked), without running it; its command path."""
    args = shlex.split(re.sub(r"\$\{\{[^}]*\}\}|\$[A-Z_]+", "X", line))[1:]
    cmd: Any = typer.main.get_command(cli.app)  # typer vendors click: duck-typed, not click's classes
    ctx = cmd.make_context("govctl", list(args))
    names = []
    while hasattr(cmd, "resolve_command"):
        rest = list(getattr(ctx, "_protected_args", [])) + list(ctx.args)
        name, cmd, rest = cmd.resolve_command(ctx, rest)
        assert cmd is not None, line
        names.append(name)
        ctx = cmd.make_context(name or "", rest, parent=ctx)
    return names


@pytest.mark.parametrize("forge_name", ["github", "gitlab"])
def test_templates_parse_and_their_govctl_lines_are_valid_commands(forge_name: str) -> None:
    r = run("ci", "template", forge_name)
    assert r.exit_code == 0
    doc = yaml.safe_load(r.stdout)
    lines = _govctl_lines(doc)
    assert {ln.split()[1] for ln in lines} >= {"validate", "plan", "ci"}, lines
    paths = {" ".join(_parses(line)) for line in lines}
    assert paths >= {"validate", "plan", "ci comment"}, paths
    if forge_name == "github":
        assert "pull_request" in doc[True]  # YAML 1.1 reads the key `on` as true
        assert (ROOT / ".github" / "workflows" / "govctl-plan.yml").read_text() == r.stdout
    else:
        [job] = doc.values()
        assert job["artifacts"]["reports"]["junit"] == "govctl-validate.xml"


def test_a_wrong_option_or_command_in_a_template_would_be_caught() -> None:
    assert _parses("govctl ci comment plan.md --forge gitlab --key k") == ["ci", "comment"]
    with pytest.raises(Exception, match="No such option"):
        _parses("govctl validate inv --no-such-option")
    with pytest.raises(Exception, match="No such command"):
        _parses("govctl ci post plan.md")
