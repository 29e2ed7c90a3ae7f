"""Customers' personal data under control (GDPR); docs/privacy.md.

- ``log_masking``: logs without e-mails, phone numbers or postal addresses
  (``privacy/logging.yml`` for Rasa and the action server, ``install()`` for the rest);
- ``retention``: ``python -m privacy retention`` forgets conversations older than N days;
- ``erasure``: ``python -m privacy erase`` forgets everything about one customer.

Both jobs change Rasa's SQL tracker store and the project's database together
(``stores``), the same way (``forget``), and print what they did (``report``).
"""
