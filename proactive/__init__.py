"""The shop's systems ask Colibri to write first (docs/proactive.md).

``delivered.notify_delivered`` is the one way: the web server's authenticated endpoint
(``POST /api/proactive/order-delivered``) and the command line
(``python -m proactive delivered CO100006``) both call it.
"""
