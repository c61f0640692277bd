"""Serve govctl's policies to a real Pulumi engine (``pulumi preview --policy-pack stacks/policypack``)."""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pulumi_policy import PolicyPack  # noqa: E402

from stacks.policies import POLICIES  # noqa: E402

PolicyPack("govctl-cloud", POLICIES)
