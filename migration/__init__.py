"""Migration to the cloud (迁移上云): system lists, assessment, wave plans, journal and progress report.

Data flow: inventory (+ a spreadsheet) -> ``sources`` -> ``assess`` -> ``waves`` -> ``render``
(Markdown, JSON, inventory changes) -> ``files`` (the only writer); ``journal`` records what moved and
``report`` compares the province with its plan's targets.
"""
