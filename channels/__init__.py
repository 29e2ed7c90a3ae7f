"""Colibri's own Rasa input channels (named by class path in ``credentials.yml``).

Every Rasa server of Colibri loads this package when it reads ``credentials.yml``, so it
also applies the Rasa server's speed-ups (``rasa_speedups``) there.
"""

import rasa_speedups

rasa_speedups.install()
