"""A provider's settings that follow where the credentials come from (stacks/credentials.py) are no change: a plan
made without OS_CLOUD (the inventory's auth URL on a tenant-scoped provider) against a state applied with it (none)."""
from __future__ import annotations

from typing import Any

from govctl.stacks.diff import input_changes
from govctl.stacks.models import PROVIDER_TYPE, Resource


def _provider(inputs: dict[str, Any]) -> Resource:
    return Resource(urn=f"urn:pulumi:prov::govctl::govctl:cloud:Tenant${PROVIDER_TYPE}::t-scope", type=PROVIDER_TYPE,
                    name="t-scope", custom=True, parent=None, provider=None, dependencies=(), inputs=inputs, id=None)


def test_an_auth_url_or_cloud_only_in_the_plan_is_no_change() -> None:
    planned = _provider({"authUrl": "https://keystone.prov.example.invalid:5000/v3", "tenantName": "t", "cloud": ""})
    assert input_changes(planned, _provider({"tenantName": "t"}), {}) == []


def test_the_same_keys_changed_or_another_key_are_changes() -> None:
    planned = _provider({"authUrl": "https://keystone.prov.example.invalid:5000/v3", "tenantName": "t2"})
    base = _provider({"authUrl": "https://other.example.invalid:5000/v3", "tenantName": "t"})
    assert sorted(c.key for c in input_changes(planned, base, {})) == ["authUrl", "tenantName"]
