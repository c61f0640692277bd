"""`govctl ci comment`, `govctl ci template`: the pull-request side of CI."""
from __future__ import annotations

import sys
from enum import Enum
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer

from govctl.core.clikit import JsonOpt, emit_json, handle_errors, info
from govctl.core.errors import InputError

app = typer.Typer(help="CI integration: one plan comment per pull request, pipeline templates.")


class Forge(str, Enum):
    github = "github"
    gitlab = "gitlab"


# Where each template lives in the repository, which is where its CI system reads it from.
TEMPLATES = {
    Forge.github: ".github/workflows/govctl-plan.yml",
    Forge.gitlab: "ci/gitlab/govctl-plan.gitlab-ci.yml",
}


@app.command("comment")
@handle_errors
def comment(
    body: Annotated[Path, typer.Argument(help="The comment's Markdown, e.g. the output of `govctl plan --markdown`.",
                                         show_default=False)],
    forge: Annotated[Forge, typer.Option("--forge", help="Where the pull request is.")] = Forge.github,
    key: Annotated[str, typer.Option("--key", help="Names the comment: one comment per key (e.g. the inventory).")]
    = "plan",
    pr: Annotated[int | None, typer.Option("--pr", help="Pull/merge request number (default: from the CI run).",
                                           show_default=False)] = None,
    as_json: JsonOpt = False,
) -> None:
    """Post BODY as the pull request's govctl comment, editing the earlier one instead of adding another.

    GitHub Actions: needs $GITHUB_TOKEN (pull-requests: write); the pull request comes from the event.
    GitLab CI: needs $GOVCTL_NOTE_TOKEN (a project access token with api scope); the merge request comes
    from $CI_MERGE_REQUEST_IID. The token is never printed.

    Example: `govctl plan inventories/guangdong --markdown > plan.md; govctl ci comment plan.md --key guangdong`
    """
    from govctl.ci.comment import github_from_env, gitlab_from_env, upsert

    try:
        text = body.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{body}: cannot read the comment body: {getattr(exc, 'strerror', None) or exc}") from None
    if not text.strip():
        raise InputError(f"{body}: the comment body is empty")
    host = github_from_env(number=pr) if forge == Forge.github else gitlab_from_env(number=pr)
    posted = upsert(host, text, key)
    if as_json:
        emit_json({"action": posted.action, "id": posted.id, "url": posted.url, "forge": forge.value})
        return
    info(f"{host.name}: comment {posted.id} {posted.action}{' ' + posted.url if posted.url else ''}")


@app.command("template")
@handle_errors
def template(
    forge: Annotated[Forge, typer.Argument(help="github or gitlab.", show_default=False)],
) -> None:
    """Print the pipeline template for GitHub Actions or GitLab CI (validate with annotations and JUnit,
    plan, one comment updated in place).

    Example: `govctl ci template github > .github/workflows/govctl-plan.yml`
    """
    ref = resources.files("govctl").joinpath(TEMPLATES[forge])
    sys.stdout.write(ref.read_text(encoding="utf-8"))
