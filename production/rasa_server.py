"""``rasa`` with the HTTP API's token read from the environment, never from the command line.

Rasa 3.6 takes the token only as ``--auth-token``, and a command line is readable by every
user of the machine (``ps``, ``/proc/<pid>/cmdline``). ``python -m production.rasa_server run …``
adds ``--auth-token`` from ``RASA_AUTH_TOKEN`` to Rasa's arguments inside the process, then
runs Rasa's own command line: the kernel keeps showing the command as it was started.
``make run``, ``make run-prod``, the tests, the benchmark and the Docker and Helm files start
the Rasa server this way (docs/deploy.md, "Secrets").
"""

from __future__ import annotations

import os
import sys
from typing import List, Mapping

TOKEN_VARIABLE = "RASA_AUTH_TOKEN"
TOKEN_OPTION = "--auth-token"


class SecretOnCommandLine(ValueError):
    """The command would show a secret, or open the HTTP API without one."""


def with_token(args: List[str], env: Mapping[str, str]) -> List[str]:
    """Rasa's arguments with the token of ``env`` added to a ``rasa run`` with ``--enable-api``.

    Other commands (``rasa run actions``, ``rasa train``…) are left as they are.
    """
    if args[:1] != ["run"] or args[1:2] == ["actions"]:
        return list(args)
    if any(arg == TOKEN_OPTION or arg.startswith(f"{TOKEN_OPTION}=") for arg in args):
        raise SecretOnCommandLine(
            f"{TOKEN_OPTION} on the command line is readable by every user of the machine: "
            f"set {TOKEN_VARIABLE} instead")
    if "--enable-api" not in args:
        return list(args)
    token = env.get(TOKEN_VARIABLE, "")
    if not token.strip():
        raise SecretOnCommandLine(f"{TOKEN_VARIABLE} is not set: Rasa's HTTP API would be open to anyone")
    return [*args, f"{TOKEN_OPTION}={token}"]


def main() -> None:
    """Runs ``rasa`` with the arguments of this command and the token of the environment."""
    try:
        args = with_token(sys.argv[1:], os.environ)
    except SecretOnCommandLine as error:
        sys.exit(f"colibri: {error}")
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *args]
    rasa_main()


if __name__ == "__main__":
    main()
