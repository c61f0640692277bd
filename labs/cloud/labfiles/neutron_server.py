"""neutron-server for the lab: Debian's Neutron Zed, with one query fixed for PostgreSQL.

Neutron validates ``availability_zone_hints`` with ``SELECT agents.* ... GROUP BY agents.availability_zone``
(``neutron/objects/agent.py``), which PostgreSQL rejects (MySQL, what production runs, accepts it): every
network or router carrying hints would answer 500. Here the same question is asked without the GROUP BY (the
caller only collects the zones). The lab's agents table holds one DHCP and one L3 agent per availability zone
it serves (rows only: no agent runs), so hints naming those zones are accepted and any other is refused with
404 AvailabilityZoneNotFound, as on a real cloud.
"""
import sys


def main() -> None:
    from neutron.cmd.eventlet import server  # first: it monkey-patches for eventlet

    from neutron_lib.db import api as db_api
    from neutron.db.models import agent as agent_model
    from neutron.objects import agent as agent_obj

    @classmethod  # type: ignore[misc]
    @db_api.CONTEXT_READER
    def by_zones(cls, context, agent_type, availability_zones):
        rows = context.session.query(agent_model.Agent).filter_by(agent_type=agent_type).filter(
            agent_model.Agent.availability_zone.in_(availability_zones)).all()
        return [cls._load_object(context, r) for r in rows]

    agent_obj.Agent.get_agents_by_availability_zones_and_agent_type = by_zones
    sys.argv[0] = "neutron-server"
    sys.exit(server.main())


if __name__ == "__main__":
    main()
