"""Intent -> vendor configuration text, from template files (one per platform and feature). Pure.

Templates live in ``network/templates/<platform>/<feature>.j2`` and are rendered in
``FEATURES`` order; a platform lacking a feature file fails loudly rather than silently
producing a partial config.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import jinja2

from govctl.network.errors import TemplateFailure, UnknownPlatform
from govctl.network.models import DeviceIntent, RenderedConfig
from govctl.network.templating import environment

TEMPLATES = Path(__file__).resolve().parent / "templates"
FEATURES = ("system", "filters", "interfaces", "ospfv3", "bgp")

# Ports are numbered in the intent; each platform names them its own way. The inventory
# holds no port map yet, so link n of a node is its nth data port.
PORT_NAMES: dict[str, tuple[str, str]] = {
    "huawei_vrp": ("LoopBack0", "GigabitEthernet0/0/{n}"),
    "h3c_comware": ("LoopBack0", "GigabitEthernet1/0/{n}"),
    "ios": ("Loopback0", "GigabitEthernet0/{n}"),
    "frr": ("lo", "eth{n}"),
}
COMMENT = {"huawei_vrp": "#", "h3c_comware": "#", "ios": "!", "frr": "!"}


def platforms() -> list[str]:
    return sorted(PORT_NAMES)


def port_name(platform: str, port: int) -> str:
    loop, data = PORT_NAMES[platform]
    return loop if port == 0 else data.format(n=port)


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    return environment(TEMPLATES)


def render(intent: DeviceIntent, platform: str | None = None) -> RenderedConfig:
    """Render one device's intent for its platform (or ``platform``, e.g. the lab's frr)."""
    plat = platform or intent.platform
    if plat not in PORT_NAMES:
        raise UnknownPlatform(f"{intent.node}: platform '{plat}' has no templates "
                              f"(known: {', '.join(platforms())})")
    parts: list[str] = []
    for feature in FEATURES:
        name = f"{plat}/{feature}.j2"
        try:
            template = _env().get_template(name)
            text = template.render(i=intent, port=lambda n: port_name(plat, n), platform=plat)
        except jinja2.TemplateNotFound:
            raise TemplateFailure(f"{intent.node}: template {TEMPLATES / name} is missing") from None
        except jinja2.TemplateError as exc:
            where = f" line {exc.lineno}" if getattr(exc, "lineno", None) else ""
            raise TemplateFailure(f"{intent.node}: template {TEMPLATES / name}{where}: {exc}") from None
        if text.strip():
            parts.append(text.rstrip("\n") + "\n")
    sep = COMMENT[plat] + "\n"
    body = sep.join(parts)
    if plat in ("huawei_vrp", "h3c_comware"):
        body += "#\nreturn\n"
    elif plat == "ios":
        body += "!\nend\n"
    return RenderedConfig(intent.node, plat, body, FEATURES)


def render_all(intents: dict[str, DeviceIntent], platform: str | None = None) -> dict[str, RenderedConfig]:
    return {node: render(i, platform) for node, i in intents.items()}
