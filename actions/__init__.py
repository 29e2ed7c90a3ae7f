"""Colibri's custom action server (rasa-sdk).

Modules by concern: ``settings`` (environment), ``db`` and ``models`` (the shop's
systems through SQLAlchemy), ``shop`` and ``tickets`` (queries and writes),
``carrier`` (the carrier's HTTP API), ``normalise`` and ``wording`` (input and
French output), and one module per conversation flow.
"""
