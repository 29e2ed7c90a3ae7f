"""``make run-prod``: the production configuration on this machine, until Ctrl-C.

A server that exits is started again after 2 s (as a service manager would);
meanwhile nginx sends its requests to the other one.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

from production.deployment import Deployment, StartError
from production.environment import ROOT, Ports, production_env
from production.models import NO_MODEL, newest_model


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--state", type=Path, default=ROOT / "var" / "prod",
                        help="logs, nginx's files and generated secrets (default var/prod)")
    args = parser.parse_args()
    model = newest_model()
    if model is None:
        sys.exit(NO_MODEL)
    ports = Ports()
    deployment = Deployment(production_env(ports, args.state), args.state, model, ports)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print("==> Starting nginx, 2 action servers, 2 Rasa servers and the web server (logs in "
          f"{args.state / 'logs'})", flush=True)
    try:
        deployment.start()
    except StartError as error:
        print(f"!! {error}", file=sys.stderr)
        return 1
    print(f"""
  Colibri (production configuration) is running.
    Chat page        http://localhost:{ports.web}/
    Advisors' desk   http://localhost:{ports.web}/desk/
    Rasa (nginx)     http://localhost:{ports.rasa}/  -> Rasa servers on {ports.rasa_servers}
    Actions (nginx)  http://localhost:{ports.actions}/ -> action servers on {ports.action_servers}
    Tokens           {args.state}/ (rasa-auth-token, action-server-token, proactive-token)
  Press Ctrl-C to stop.
""", flush=True)
    try:
        while True:
            time.sleep(2)
            for process in deployment.processes.values():
                if not process.running:
                    print(f"!! {process.name} exited; starting it again", flush=True)
                    process.start()
    except (KeyboardInterrupt, SystemExit):
        print("\n==> Stopping Colibri", flush=True)
    finally:
        deployment.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
