"""VPN-on-a-PE -> vendor configuration and its exact reversal, from template files. Pure.

Templates live in each platform's folder:
``network/platforms/<platform>/templates/cutover/<feature>.j2``; each renders the
change when ``undo`` is false and its reversal when ``undo`` is true, so a change and its
rollback are written side by side and cannot drift apart.
"""
from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import jinja2

from govctl.core.errors import InputError
from govctl.cutover.models import Rendered, VpnPe
from govctl.network import platforms
from govctl.network.templating import environment

TEMPLATES = Path(platforms.__file__).resolve().parent
PLATFORMS = tuple(platforms.names())  # every platform has its cutover templates (tests check each)
# Order of application; rollback runs in the reverse order.
PE_FEATURES = ("vpn_instance", "isolation", "bgp_vpn", "access", "vpn_routing")
TEARDOWN = "teardown"


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    return environment(TEMPLATES)


def render_feature(pe: VpnPe, feature: str, *, undo: bool, extra: Mapping[str, object] | None = None,
                   flavour: str | None = None) -> str:
    """One feature of the VPN on one PE (or its reversal) in the PE's platform syntax.

    ``flavour`` (the lab's ``lab``: ``templates/cutover_lab``) overrides some features' templates and falls
    back to the platform's.
    """
    name = f"{pe.platform}/templates/cutover/{feature}.j2"
    try:
        flavoured = f"{pe.platform}/templates/cutover_{flavour}/{feature}.j2"
        if flavour and (TEMPLATES / flavoured).exists():
            name = flavoured
        template = _env().get_template(name)
        text = template.render(pe=pe, undo=undo, **(extra or {}))
    except jinja2.TemplateNotFound:
        raise InputError(f"{pe.node}: platform '{pe.platform}' has no cutover template {TEMPLATES / name}") from None
    except jinja2.TemplateError as exc:
        raise InputError(f"{pe.node}: template {TEMPLATES / name}: {exc}") from None
    return text


def render_pe(pe: VpnPe) -> list[Rendered]:
    return [Rendered(pe.node, pe.platform, f, render_feature(pe, f, undo=False), render_feature(pe, f, undo=True))
            for f in PE_FEATURES]


def render_teardown(pe: VpnPe, old_prefixes: list[str]) -> Rendered:
    """Removal of the old path's routes on the extranet node it hung on (beyond the point of no return)."""
    extra = {"old_prefixes": old_prefixes}
    return Rendered(pe.node, pe.platform, TEARDOWN, render_feature(pe, TEARDOWN, undo=False, extra=extra),
                    render_feature(pe, TEARDOWN, undo=True, extra=extra))
