"""One pull-request (merge-request) comment per inventory, updated in place on every push.

A hidden marker line (``<!-- govctl:plan:<key> -->``) names the comment; the first comment carrying it is
edited, otherwise one is created. Reviewers see one plan, always the latest, instead of a thread of stale
ones. Two hosts, one contract: GitHub's issue comments and GitLab's merge-request notes.

The token goes only into a request header: never into a message, an exception or the output.
"""
from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from govctl.core.errors import InputError, RuntimeFailure

MARKER = "<!-- govctl:plan:{key} -->"
TIMEOUT_S = 30
MAX_PAGES = 50  # 5,000 comments: beyond that a pull request has other problems


class CommentHostError(RuntimeFailure):
    """The forge's API refused or could not be reached."""


class CommentSetupError(InputError):
    """What the comment needs (token, repository, pull request) is not in the environment or the flags."""


@dataclass(frozen=True)
class Posted:
    action: Literal["created", "updated", "unchanged"]
    id: int
    url: str


class CommentHost:
    """The contract: list the comments of one pull request, create one, edit one."""

    name = "host"

    def __init__(self, api: str, token: str) -> None:
        self.api = api.rstrip("/")
        self._token = token

    def _headers(self) -> dict[str, str]:
        raise NotImplementedError

    def comments(self) -> list[dict[str, Any]]:
        raise NotImplementedError

    def create(self, body: str) -> dict[str, Any]:
        raise NotImplementedError

    def update(self, comment_id: int, body: str) -> dict[str, Any]:
        raise NotImplementedError

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None,
              query: dict[str, Any] | None = None) -> tuple[Any, dict[str, str]]:
        url = f"{self.api}{path}" + (f"?{urllib.parse.urlencode(query)}" if query else "")
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(url, data=data, method=method,
                                     headers={**self._headers(), "Content-Type": "application/json",
                                              "Accept": "application/json", "User-Agent": "govctl"})
        try:
            with urllib.request.urlopen(req, timeout=TIMEOUT_S) as resp:
                raw = resp.read()
                return (json.loads(raw) if raw else None), dict(resp.headers.items())
        except urllib.error.HTTPError as exc:
            detail = _api_message(exc.read())
            raise CommentHostError(f"{self.name}: {method} {_redact(url, self._token)} answered {exc.code}"
                                   f"{': ' + detail if detail else ''}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise CommentHostError(f"{self.name}: cannot reach {_redact(self.api, self._token)}: {reason}") from None


def _api_message(raw: bytes) -> str:
    try:
        data = json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")[:200]
    if isinstance(data, dict):
        return str(data.get("message") or data.get("error") or "")[:200]
    return ""


def _redact(text: str, token: str) -> str:
    return text.replace(token, "***") if token else text


class GitHub(CommentHost):
    """Issue comments of a pull request (REST v3)."""

    name = "GitHub"

    def __init__(self, api: str, token: str, repository: str, number: int) -> None:
        super().__init__(api, token)
        self.repository, self.number = repository, number

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}", "X-GitHub-Api-Version": "2022-11-28"}

    def comments(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for page in range(1, MAX_PAGES + 1):
            got, _ = self._call("GET", f"/repos/{self.repository}/issues/{self.number}/comments",
                                query={"per_page": 100, "page": page})
            out += got or []
            if not got or len(got) < 100:
                break
        return out

    def create(self, body: str) -> dict[str, Any]:
        got, _ = self._call("POST", f"/repos/{self.repository}/issues/{self.number}/comments", {"body": body})
        return {"id": got["id"], "url": got.get("html_url", "")}

    def update(self, comment_id: int, body: str) -> dict[str, Any]:
        got, _ = self._call("PATCH", f"/repos/{self.repository}/issues/comments/{comment_id}", {"body": body})
        return {"id": got["id"], "url": got.get("html_url", "")}


class GitLab(CommentHost):
    """Notes of a merge request (REST v4)."""

    name = "GitLab"

    def __init__(self, api: str, token: str, project: str, iid: int) -> None:
        super().__init__(api, token)
        self.project, self.iid = urllib.parse.quote(project, safe=""), iid

    def _headers(self) -> dict[str, str]:
        return {"PRIVATE-TOKEN": self._token}

    def comments(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for page in range(1, MAX_PAGES + 1):
            got, headers = self._call("GET", f"/projects/{self.project}/merge_requests/{self.iid}/notes",
                                      query={"per_page": 100, "page": page, "sort": "asc"})
            out += got or []
            if not got or not headers.get("X-Next-Page", headers.get("x-next-page", "")):
                break
        return out

    def create(self, body: str) -> dict[str, Any]:
        got, _ = self._call("POST", f"/projects/{self.project}/merge_requests/{self.iid}/notes", {"body": body})
        return {"id": got["id"], "url": ""}

    def update(self, comment_id: int, body: str) -> dict[str, Any]:
        got, _ = self._call("PUT", f"/projects/{self.project}/merge_requests/{self.iid}/notes/{comment_id}",
                            {"body": body})
        return {"id": got["id"], "url": ""}


def with_marker(body: str, key: str) -> str:
    marker = MARKER.format(key=key)
    return body if marker in body else f"{marker}\n{body}"


def upsert(host: CommentHost, body: str, key: str) -> Posted:
    """Edit the comment carrying ``key``'s marker, or create it; an identical body is left alone."""
    body = with_marker(body, key)
    marker = MARKER.format(key=key)
    mine = [c for c in host.comments() if marker in (c.get("body") or "")]
    if not mine:
        got = host.create(body)
        return Posted("created", int(got["id"]), got["url"])
    first = mine[0]
    if (first.get("body") or "") == body:
        return Posted("unchanged", int(first["id"]), first.get("html_url", ""))
    got = host.update(int(first["id"]), body)
    return Posted("updated", int(got["id"]), got["url"])


def _need(env: dict[str, str], name: str, what: str) -> str:
    value = env.get(name, "")
    if not value:
        raise CommentSetupError(f"${name} is not set: {what}")
    return value


def github_from_env(env: dict[str, str] | None = None, number: int | None = None) -> GitHub:
    """The pull request of a GitHub Actions `pull_request` run (or ``number``)."""
    env = dict(os.environ) if env is None else env
    token = env.get("GITHUB_TOKEN") or env.get("GH_TOKEN") or ""
    if not token:
        raise CommentSetupError("$GITHUB_TOKEN (or $GH_TOKEN) is not set: pass the workflow's token "
                                "(`env: {GITHUB_TOKEN: ${{ github.token }}}`, with `pull-requests: write`)")
    repo = _need(env, "GITHUB_REPOSITORY", "the owner/name of the repository")
    if number is None:
        event = env.get("GITHUB_EVENT_PATH", "")
        try:
            payload = json.loads(Path(event).read_text(encoding="utf-8")) if event else {}
        except (OSError, ValueError) as exc:
            raise CommentSetupError(f"$GITHUB_EVENT_PATH {event}: cannot read the event: {exc}") from None
        number = (payload.get("pull_request") or {}).get("number") or payload.get("number")
        if not number:
            raise CommentSetupError("not a pull_request event: pass --pr NUMBER")
    return GitHub(env.get("GITHUB_API_URL") or "https://api.github.com", token, repo, int(number))


def gitlab_from_env(env: dict[str, str] | None = None, number: int | None = None) -> GitLab:
    """The merge request of a GitLab CI `merge_request_event` pipeline (or ``number``)."""
    env = dict(os.environ) if env is None else env
    token = _need(env, "GOVCTL_NOTE_TOKEN", "a project access token with `api` scope (a masked CI/CD variable); "
                  "CI_JOB_TOKEN cannot write notes")
    api = _need(env, "CI_API_V4_URL", "run inside GitLab CI")
    project = _need(env, "CI_PROJECT_ID", "run inside GitLab CI")
    iid = number or env.get("CI_MERGE_REQUEST_IID")
    if not iid:
        raise CommentSetupError("$CI_MERGE_REQUEST_IID is not set (not a merge-request pipeline): pass --pr NUMBER")
    return GitLab(api, token, project, int(iid))
