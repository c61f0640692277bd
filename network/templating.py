"""The one Jinja2 set-up for device configuration templates (rollout and cutover alike)."""
from __future__ import annotations

import ipaddress
from pathlib import Path

import jinja2


def _addr(value: str) -> str:
    return value.split("/")[0]


def _plen(value: str) -> int:
    return int(value.split("/")[1])


def _netmask(value: str) -> str:
    return str(ipaddress.ip_network(value, strict=False).netmask)


def _wildcard(value: str) -> str:
    return str(ipaddress.ip_network(value, strict=False).hostmask)


def _network(value: str) -> str:
    return str(ipaddress.ip_network(value, strict=False).network_address)


def _v6(value: str) -> bool:
    return ":" in value


def environment(templates: Path | list[Path]) -> jinja2.Environment:
    """Strict (an undefined variable is an error, never an empty line in a device config). ``templates``: the
    folder, or the folders searched in order, that template names are relative to."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,  # noqa: S701 - device configs, not HTML
    )
    env.filters.update(addr=_addr, plen=_plen, netmask=_netmask, wildcard=_wildcard, network=_network)
    env.tests.update(v6=_v6)
    return env
