"""Intent -> vendor configuration text, from template files (one per platform and feature). Pure.

Templates live in each platform's folder, ``<platform>/templates/rollout/<feature>.j2`` (govctl's own
under ``network/platforms/``), and are rendered in ``FEATURES`` order; a platform lacking a feature file
fails loudly rather than silently producing a partial config.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import jinja2

from govctl.network.errors import TemplateFailure, UnknownPlatform
from govctl.network.models import DeviceIntent, RenderedConfig
from govctl.network.platforms import folder, get, names, roots
from govctl.network.templating import environment

FEATURES = ("system", "filters", "interfaces", "ospfv3", "bgp")


def platforms() -> list[str]:
    return names()


def template_path(platform: str, kind: str, feature: str) -> Path:
    """Where a platform's template of ``kind`` (rollout, cutover) for ``feature`` is, or belongs."""
    return folder(platform) / "templates" / kind / f"{feature}.j2"


def port_name(platform: str, port: int) -> str:
    """Ports are numbered in the intent; each platform names them its own way (``network.platforms``).
    The inventory holds no port map yet, so link n of a node is its nth data port."""
    p = get(platform)
    if p is None:
        raise UnknownPlatform(f"platform '{platform}' is not served (known: {', '.join(names())})")
    return p.port_name(port)


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    # names are "<platform>/templates/...", relative to the folders holding platform folders
    return environment(roots())


def render(intent: DeviceIntent, platform: str | None = None) -> RenderedConfig:
    """Render one device's intent for its platform (or ``platform``, e.g. the lab's frr)."""
    plat = platform or intent.platform
    spec = get(plat)
    if spec is None:
        raise UnknownPlatform(f"{intent.node}: platform '{plat}' has no templates "
                              f"(known: {', '.join(platforms())})")
    parts: list[str] = []
    for feature in FEATURES:
        name = f"{plat}/templates/rollout/{feature}.j2"
        try:
            template = _env().get_template(name)
            text = template.render(i=intent, port=spec.port_name, platform=plat)
        except jinja2.TemplateNotFound:
            raise TemplateFailure(f"{intent.node}: template {template_path(plat, 'rollout', feature)} "
                                  "is missing") from None
        except jinja2.TemplateError as exc:
            lineno = getattr(exc, "lineno", None)
            where = f" line {lineno}" if lineno else ""
            raise TemplateFailure(f"{intent.node}: template {_file(name)}{where}: {exc}") from None
        if text.strip():
            parts.append(text.rstrip("\n") + "\n")
    body = (spec.comment + "\n").join(parts) + spec.trailer
    return RenderedConfig(intent.node, plat, body, FEATURES)


def _file(name: str) -> str:
    """The file the template ``name`` was loaded from (the first folder holding it)."""
    return next((str(r / name) for r in roots() if (r / name).is_file()), name)


def render_all(intents: dict[str, DeviceIntent], platform: str | None = None) -> dict[str, RenderedConfig]:
    return {node: render(i, platform) for node, i in intents.items()}
