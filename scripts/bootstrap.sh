#!/usr/bin/env bash
# Builds .venv from the pinned requirements, once per change of the requirements.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=".venv/.installed-$(cat requirements.txt requirements-dev.txt constraints.txt | sha1sum | cut -c1-12)"
[ -f "$stamp" ] && exit 0
python=$(scripts/find_python.sh)
echo "==> Building .venv with $python ($("$python" --version))"
[ -x .venv/bin/python ] || "$python" -m venv .venv
echo "==> Installing Rasa and the project's requirements (a few minutes the first time)"
.venv/bin/python -m pip install -r requirements-dev.txt -c constraints.txt
rm -f .venv/.installed-*
touch "$stamp"
echo "==> .venv ready"
