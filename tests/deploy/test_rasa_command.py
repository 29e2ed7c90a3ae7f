"""The Rasa server's command line, as ``make run-prod`` and the benchmark build it, is read
by Rasa's own argument parser as meant, whatever the token (a random token may begin
with ``-``, which once made ``rasa run`` refuse to start: "expected one argument").
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.__main__ import create_argument_parser

from production.deployment import Deployment
from production.environment import Ports, production_env


@pytest.mark.parametrize("token", ["-starts-with-a-dash", "--looks-like-an-option", "plain_Token-42"])
def test_rasa_reads_the_token_and_the_endpoints(tmp_path: Path, token: str) -> None:
    env = production_env(Ports(), tmp_path / "state", base={"RASA_AUTH_TOKEN": token})
    deployment = Deployment(env, tmp_path / "state", tmp_path / "model.tar.gz")
    for name in ("rasa-1", "rasa-2"):
        command = deployment.processes[name].args
        args = create_argument_parser().parse_args(command[1:])
        assert args.auth_token == token
        assert args.enable_api and args.endpoints.endswith("endpoints.production.yml")


def test_run_sh_passes_the_token_as_one_argument() -> None:
    run_sh = (Path(__file__).parents[2] / "scripts" / "run.sh").read_text(encoding="utf-8")
    assert '--auth-token="$RASA_AUTH_TOKEN"' in run_sh
