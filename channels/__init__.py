"""Colibri's own Rasa input channels (named by class path in ``credentials.yml``).

Every Rasa server of Colibri loads this package when it reads ``credentials.yml``, so it
also applies the Rasa server's speed-ups (``rasa_speedups``) there, and makes an unreadable
tracker store an error of the message rather than a new conversation
(``channels.tracker_store_failures``).
"""

import rasa_speedups
from channels import tracker_store_failures

rasa_speedups.install()
tracker_store_failures.install()
