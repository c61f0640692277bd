"""VPN-on-a-PE -> vendor configuration and its exact reversal, from template files. Pure.

Templates live in each platform's folder:
``network/platforms/<platform>/templates/cutover/<feature>.j2``; each renders the
change when ``undo`` is false and its reversal when ``undo`` is true, so a change and its
rollback are written side by side and cannot drift apart.
"""
from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

import jinja2

from govctl.core.errors import InputError
from govctl.cutover.models import Rendered, VpnPe
from govctl.network import platforms
from govctl.network.render import template_path
from govctl.network.templating import environment

PLATFORMS = tuple(platforms.names())  # every platform has its cutover templates (tests check each)
# Order of application; rollback runs in the reverse order.
PE_FEATURES = ("vpn_instance", "isolation", "bgp_vpn", "access", "vpn_routing")
TEARDOWN = "teardown"


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    # names are "<platform>/templates/...", relative to the folders holding platform folders
    return environment(platforms.roots())


def render_feature(pe: VpnPe, feature: str, *, undo: bool, extra: Mapping[str, object] | None = None,
                   flavour: str | None = None) -> str:
    """One feature of the VPN on one PE (or its reversal) in the PE's platform syntax.

    ``flavour`` (the lab's ``lab``: ``templates/cutover_lab``) overrides some features' templates and falls
    back to the platform's.
    """
    kind = "cutover"
    try:
        known = platforms.get(pe.platform) is not None
        if flavour and known and template_path(pe.platform, f"cutover_{flavour}", feature).exists():
            kind = f"cutover_{flavour}"
        template = _env().get_template(f"{pe.platform}/templates/{kind}/{feature}.j2")
        text = template.render(pe=pe, undo=undo, **(extra or {}))
    except jinja2.TemplateNotFound:
        where = (template_path(pe.platform, kind, feature) if platforms.get(pe.platform)
                 else f"{pe.platform}/templates/{kind}/{feature}.j2 (no such platform folder)")
        raise InputError(f"{pe.node}: platform '{pe.platform}' has no cutover template {where}") from None
    except jinja2.TemplateError as exc:
        raise InputError(f"{pe.node}: template {template_path(pe.platform, kind, feature)}: {exc}") from None
    return text


def render_pe(pe: VpnPe) -> list[Rendered]:
    return [Rendered(pe.node, pe.platform, f, render_feature(pe, f, undo=False), render_feature(pe, f, undo=True))
            for f in PE_FEATURES]


def render_teardown(pe: VpnPe, old_prefixes: list[str]) -> Rendered:
    """Removal of the old path's routes on the extranet node it hung on (beyond the point of no return)."""
    extra = {"old_prefixes": old_prefixes}
    return Rendered(pe.node, pe.platform, TEARDOWN, render_feature(pe, TEARDOWN, undo=False, extra=extra),
                    render_feature(pe, TEARDOWN, undo=True, extra=extra))
