"""DR layout component (两地三中心): what the platform's three centres offer for disaster recovery.

The primary and same-city centres run active-active: replicated volume types
(synchronous between them, asynchronous towards the remote-DR centre) are
created here once per platform, private, and granted to tenants by their
GB/T 20988 grade. Per-tenant DR resources (server groups in both centres,
backup containers in the remote-DR region) belong to the tenant's component
and are built from the ``DrTargets`` this component offers.
"""
from __future__ import annotations

import pulumi
import pulumi_openstack as openstack

from stacks.models import DR_TYPE, DrLayoutArgs, DrTargets

SYNC_TYPE = "replicated-sync"
ASYNC_TYPE = "replicated-async"


class DrLayout(pulumi.ComponentResource):
    targets: DrTargets | None

    def __init__(self, name: str, args: DrLayoutArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(DR_TYPE, name, None, opts)
        self.targets = None
        p = args.platform
        if not args.remote_dr:
            # No remote-DR centre: no DR offered (rule DR-005 keeps graded tenants off this platform).
            self.register_outputs({})
            return
        main = pulumi.ResourceOptions(parent=self, provider=args.providers[args.primary.name])
        sync = None
        if args.same_city is not None:
            sync = openstack.blockstorage.VolumeTypeV3(
                f"{p.id}-{SYNC_TYPE}", name=SYNC_TYPE, region=args.primary.name, is_public=False,
                description=f"synchronous replication {args.primary.site} <-> {args.same_city.site} (active-active)",
                extra_specs={"replication_enabled": "<is> True", "replication_type": "<in> sync",
                             "replication_target": args.same_city.site},
                opts=main)
        remote_sites = ",".join(r.site for r in args.remote_dr)
        asynchronous = openstack.blockstorage.VolumeTypeV3(
            f"{p.id}-{ASYNC_TYPE}", name=ASYNC_TYPE, region=args.primary.name, is_public=False,
            description=f"asynchronous replication {args.primary.site} -> {remote_sites} (data-level DR)",
            extra_specs={"replication_enabled": "<is> True", "replication_type": "<in> async",
                         "replication_target": remote_sites},
            opts=main)
        self.targets = DrTargets(
            primary=args.primary, same_city=args.same_city, remote_dr=args.remote_dr,
            same_city_provider=args.providers[args.same_city.name] if args.same_city is not None else None,
            sync_volume_type_id=sync.id if sync is not None else None, async_volume_type_id=asynchronous.id)
        self.register_outputs({"sync_volume_type": sync.id if sync is not None else None,
                               "async_volume_type": asynchronous.id})
