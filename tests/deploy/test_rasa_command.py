"""The Rasa server's command line, as ``make run``, ``make run-prod`` and the benchmark build
it: Rasa's own argument parser reads the token as meant, whatever it is (a random token may
begin with ``-``, which once made ``rasa run`` refuse to start: "expected one argument"), and
the token is never one of the arguments a process list shows (``production.rasa_server``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.__main__ import create_argument_parser

from production.deployment import RASA_SERVER, Deployment
from production.environment import Ports, production_env
from production.rasa_server import SecretOnCommandLine, with_token

ROOT = Path(__file__).parents[2]


@pytest.mark.parametrize("token", ["-starts-with-a-dash", "--looks-like-an-option", "plain_Token-42"])
def test_rasa_reads_the_token_and_the_endpoints(tmp_path: Path, token: str) -> None:
    env = production_env(Ports(), tmp_path / "state", base={"RASA_AUTH_TOKEN": token})
    deployment = Deployment(env, tmp_path / "state", tmp_path / "model.tar.gz")
    for name in ("rasa-1", "rasa-2"):
        process = deployment.processes[name]
        assert process.args[:len(RASA_SERVER)] == RASA_SERVER
        shown = process.args[len(RASA_SERVER):]
        assert not any(token in arg for arg in shown)
        args = create_argument_parser().parse_args(with_token(shown, process.env))
        assert args.auth_token == token
        assert args.enable_api and args.endpoints.endswith("endpoints.production.yml")


def test_run_sh_starts_rasa_through_the_launcher_without_the_token() -> None:
    run_sh = (ROOT / "scripts" / "run.sh").read_text(encoding="utf-8")
    assert "python -m production.rasa_server run" in run_sh
    assert "--auth-token" not in run_sh and "token=$RASA_AUTH_TOKEN" not in run_sh


def test_a_token_on_the_command_line_is_refused() -> None:
    for args in (["run", "--enable-api", "--auth-token", "secret"], ["run", "--auth-token=secret"]):
        with pytest.raises(SecretOnCommandLine, match="RASA_AUTH_TOKEN"):
            with_token(args, {"RASA_AUTH_TOKEN": "secret"})


@pytest.mark.parametrize("value", [None, "", "   "])
def test_an_http_api_without_a_token_is_refused(value) -> None:
    env = {} if value is None else {"RASA_AUTH_TOKEN": value}
    with pytest.raises(SecretOnCommandLine, match="not set"):
        with_token(["run", "--enable-api", "--port", "5005"], env)


def test_other_commands_are_left_alone() -> None:
    env = {"RASA_AUTH_TOKEN": "t"}
    for args in (["run", "actions", "--port", "5055"], ["train"], ["run", "--port", "5005"], []):
        assert with_token(args, env) == args
