"""The offline plan's replace-versus-update table is the provider's own schema, regenerated here.

``stacks/replacements.json`` is generated from the pulumi-resource-openstack plugin that tools/engine/build.sh
builds (its Terraform schema's ForceNew flags); this test asks the plugin again and compares, so the committed
table cannot drift from the provider the engine runs.
"""
from __future__ import annotations

from govctl.stacks import replacements


def test_the_committed_table_is_what_the_provider_plugin_says() -> None:
    from capabilities import need_executable

    plugin = need_executable(replacements.PLUGIN, "tools/engine/build.sh, then eval \"$(tools/engine/build.sh --env)\"")
    fresh = replacements.generate(plugin)
    assert replacements.render(fresh) == replacements.TABLE.read_text(encoding="utf-8"), (
        "stacks/replacements.json differs from the provider plugin: python3 -m govctl.stacks.replacements --write")
    subnet = fresh["resources"]["openstack:networking/subnet:Subnet"]
    assert subnet["cidr"] is True and "name" not in subnet  # the case the issue names: cidr replaces, name updates


def test_the_table_covers_what_the_stacks_declare() -> None:
    table = replacements.table()
    for type_ in ("openstack:networking/subnet:Subnet", "openstack:networking/secGroupRule:SecGroupRule",
                  "openstack:identity/project:Project", "openstack:blockstorage/volume:Volume"):
        assert table.get(type_), type_
    assert replacements.forcing("openstack:networking/subnet:Subnet", "cidr", "198.51.100.0/25",
                                "198.51.100.0/24") == "cidr"
    assert replacements.forcing("openstack:networking/subnet:Subnet", "name", "a", "b") is None
    assert replacements.forcing("openstack:no/such:Type", "cidr", "a", "b") is None
