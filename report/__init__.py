"""The last step of the data flow: pictures of the province (``govctl report``).

Reads what every earlier step produced (inventory, IPv6 plan, migration/push/cutover journals, the last
plan's cached graphs, an audit's JSON) and draws it: ``html`` writes one self-contained HTML page of six
views, ``views`` computes each view's numbers from those sources.
"""
