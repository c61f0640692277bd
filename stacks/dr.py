"""DR layout component (两地三中心): what the platform's three centres offer for disaster recovery.

The primary and same-city centres run active-active: replicated volume types
(synchronous between them, asynchronous towards the remote-DR centre) are
created here once per platform, private, and granted to tenants by their
GB/T 20988 grade. Each remote-DR region gets a private DR target volume type:
what replicas and restored backups become when they are brought up there.
Per-tenant DR resources (server groups in both centres; in each remote-DR
region a grant of its target type, a Cinder quota and a backup container)
belong to the tenant's component and are built from the ``DrTargets`` this
component offers.
"""
from __future__ import annotations

import pulumi
import pulumi_openstack as openstack

from govctl.stacks.models import DR_TYPE, DrLayoutArgs, DrTargets

SYNC_TYPE = "replicated-sync"
ASYNC_TYPE = "replicated-async"
TARGET_TYPE = "dr-target"  # per remote-DR region, suffixed with its site


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
        targets = {}
        for rp in args.remote_dr:
            # The site in the name: a volume brought up there says where it came to rest, and two remote
            # centres (Guangxi) never clash in a cloud that serves both regions from one Cinder.
            # Extra specs are scoped ("govctl:"): Cinder's capabilities filter ignores foreign scopes, so
            # the type never narrows which backend may hold the volumes.
            targets[rp.name] = openstack.blockstorage.VolumeTypeV3(
                f"{p.id}-{TARGET_TYPE}-{rp.name}", name=f"{TARGET_TYPE}-{rp.site}", region=rp.name, is_public=False,
                description=f"data-level DR target in {rp.site}: replicas from {args.primary.site} and restored "
                            "backups are brought up as this type at failover",
                extra_specs={"govctl:dr-role": "remote-dr-target", "govctl:source-site": args.primary.site},
                opts=pulumi.ResourceOptions(parent=self, provider=args.providers[rp.name]))
        self.targets = DrTargets(
            primary=args.primary, same_city=args.same_city, remote_dr=args.remote_dr,
            same_city_provider=args.providers[args.same_city.name] if args.same_city is not None else None,
            sync_volume_type_id=sync.id if sync is not None else None, async_volume_type_id=asynchronous.id,
            remote_providers={rp.name: args.providers[rp.name] for rp in args.remote_dr},
            remote_volume_type_ids={name: vt.id for name, vt in targets.items()})
        self.register_outputs({"sync_volume_type": sync.id if sync is not None else None,
                               "async_volume_type": asynchronous.id,
                               "dr_target_volume_types": {name: vt.id for name, vt in targets.items()}})
