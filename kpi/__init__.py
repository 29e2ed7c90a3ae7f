"""Colibri's KPI report for managers: usage, retention, response time, confusion, satisfaction.

``kpi.report.build`` reads Rasa's SQL tracker store and the shop's database and
returns the report as plain data; the CLI (``python -m kpi``, ``make kpi``) prints it
and writes CSV files, the desk's API (``/desk/api/kpi``) serves it to the dashboard
(``/desk/kpi/``). Definitions: docs/kpi.md.
"""
