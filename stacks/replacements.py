"""Which input changes force the OpenStack provider to replace a resource instead of updating it.

Offline, the plan cannot ask the provider's Diff, so it reads this table: ``replacements.json`` beside this
module, generated from the provider plugin govctl builds (``tools/engine/build.sh``), never written by hand:

    python3 -m govctl.stacks.replacements --write     # regenerate (needs pulumi-resource-openstack on PATH)
    python3 -m govctl.stacks.replacements --check     # exit 1 when the committed table differs

The plugin is a Terraform-bridged provider: its ``GetMapping("tf")`` answer carries the Terraform schema
(``forceNew`` on each attribute, nested blocks included) and the Pulumi token of each resource, and its
``GetSchema`` the Pulumi property names, which the Terraform names are matched against (the bridge renames
some: ``allocation_pool`` -> ``allocationPools``). A top-level input is listed when changing it replaces
the resource; a block whose own attributes force replacement lists those attributes, so a change inside
the block replaces only when one of them changed.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

from govctl.core.errors import RuntimeFailure

TABLE = Path(__file__).resolve().parent / "replacements.json"
PLUGIN = "pulumi-resource-openstack"

# {pulumi type token: {pulumi input name: True (the field itself) | [nested attribute names that force it]}}
Table = dict[str, dict[str, Any]]


@lru_cache(maxsize=1)
def table() -> Table:
    data: Table = json.loads(TABLE.read_text(encoding="utf-8"))["resources"]
    return data


def forcing(type_: str, key: str, old: Any, new: Any) -> str | None:
    """The field that forces a replacement when input ``key`` of a ``type_`` goes from ``old`` to ``new``
    (``key`` itself, or ``key.attribute`` inside a block), or None when the change is an update."""
    fields = table().get(type_)
    if not fields or key not in fields:
        return None
    rule = fields[key]
    if rule is True:
        return key
    olds = old if isinstance(old, list) else [old]
    news = new if isinstance(new, list) else [new]
    if len(olds) != len(news):
        return f"{key}.{rule[0]}"  # a block added or removed: its forcing attributes change with it
    for a, b in zip(olds, news):
        a = a if isinstance(a, dict) else {}
        b = b if isinstance(b, dict) else {}
        for attr in rule:
            if a.get(attr) != b.get(attr):
                return f"{key}.{attr}"
    return None


# ---------------------------------------------------------------------------------------------- generation


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def _pulumi_name(tf: str, info: dict[str, Any], props: set[str]) -> str | None:
    override = (info.get("fields") or {}).get(tf, {}).get("name")
    camel = _camel(tf)
    for candidate in (override, camel, camel + "s", camel + "es", camel[:-1] + "ies" if camel.endswith("y") else None):
        if candidate and candidate in props:
            return candidate
    return None


def _forcing_attrs(schema: dict[str, Any]) -> list[str]:
    """Attributes of a nested block (one level) that force replacement, as Pulumi names (camelCase)."""
    element = schema.get("element") or {}
    block = element.get("resource") if isinstance(element, dict) else None
    if not isinstance(block, dict):
        return []
    return sorted(_camel(k) for k, v in block.items() if v.get("forceNew") or _forcing_attrs(v))


def build(mapping: dict[str, Any], schema: dict[str, Any]) -> Table:
    tf_resources = mapping["provider"]["resources"]
    out: Table = {}
    for tf_name, info in sorted(mapping["resources"].items()):
        token = info.get("tok")
        spec = schema.get("resources", {}).get(token)
        if not token or spec is None or tf_name not in tf_resources:
            continue
        props = set(spec.get("inputProperties") or {})
        fields: dict[str, Any] = {}
        for tf_field, attr in sorted(tf_resources[tf_name].items()):
            name = _pulumi_name(tf_field, info, props)
            if name is None or attr.get("computed") and not (attr.get("optional") or attr.get("required")):
                continue
            if attr.get("forceNew"):
                fields[name] = True
            elif nested := _forcing_attrs(attr):
                fields[name] = nested
        if fields:
            out[token] = dict(sorted(fields.items()))
    return out


def _ask_plugin(binary: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    import grpc
    from google.protobuf import empty_pb2
    from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

    proc = subprocess.Popen([binary, "127.0.0.1:1"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            env={**os.environ, "PULUMI_SKIP_UPDATE_CHECK": "true"})
    try:
        assert proc.stdout is not None
        port = proc.stdout.readline().strip()
        if not port.isdigit():
            raise RuntimeFailure(f"{binary} did not print its port (got {port!r})")
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = provider_pb2_grpc.ResourceProviderStub(channel)
            mapping = stub.GetMapping(provider_pb2.GetMappingRequest(key="tf"), timeout=60)
            schema = stub.GetSchema(provider_pb2.GetSchemaRequest(version=0), timeout=60)
            info = stub.GetPluginInfo(empty_pb2.Empty(), timeout=60)
        return json.loads(mapping.data), json.loads(schema.schema), info.version
    finally:
        proc.kill()
        proc.wait()


def generate(binary: str | None = None) -> dict[str, Any]:
    found = binary or shutil.which(PLUGIN)
    if not found:
        raise RuntimeFailure(f"{PLUGIN} is not on PATH: build the engine first (tools/engine/build.sh, then "
                             "eval \"$(tools/engine/build.sh --env)\")")
    mapping, schema, version = _ask_plugin(found)
    return {"provider": f"openstack {version}", "generated_by": "python3 -m govctl.stacks.replacements --write",
            "resources": build(mapping, schema)}


def render(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=1, ensure_ascii=False, sort_keys=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m govctl.stacks.replacements", description=__doc__.splitlines()[0])
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help=f"regenerate {TABLE.name} from the plugin on PATH")
    mode.add_argument("--check", action="store_true", help=f"exit 1 when {TABLE.name} differs from the plugin's")
    args = ap.parse_args(argv)
    text = render(generate())
    if args.write:
        tmp = TABLE.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(TABLE)
        print(f"wrote {TABLE}")
        return 0
    same = TABLE.read_text(encoding="utf-8") == text
    print(f"{TABLE.name}: {'up to date' if same else 'DIFFERS from the provider plugin; run --write'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
