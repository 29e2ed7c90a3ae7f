"""Colibri's own Rasa input channels (named by class path in ``credentials.yml``)."""
