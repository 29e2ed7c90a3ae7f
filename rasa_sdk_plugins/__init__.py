"""rasa-sdk's plugin package: the action server's own doors.

rasa-sdk 3.6 imports a package named ``rasa_sdk_plugins`` when it starts
(``rasa_sdk.plugin``) and calls ``init_hooks(manager)``; the hooks registered
here attach to its Sanic app. Rasa's ``rasa run`` puts the working directory on
``sys.path``, so ``rasa run actions`` started from the project root finds it.
"""

from __future__ import annotations

import pluggy

from rasa_sdk_plugins import token_check


def init_hooks(manager: pluggy.PluginManager) -> None:
    """Registers Colibri's hooks with rasa-sdk's plugin manager."""
    manager.register(token_check)
