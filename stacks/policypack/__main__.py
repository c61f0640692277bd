"""Serve govctl's policies to a real Pulumi engine (``pulumi preview --policy-pack stacks/policypack``)."""
from __future__ import annotations

from pulumi_policy import PolicyPack

from govctl.stacks.policies import POLICIES

PolicyPack("govctl-cloud", [*POLICIES])
