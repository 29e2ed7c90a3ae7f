#!/usr/bin/env bash
# Prints the path of a Python 3.10 interpreter (Rasa 3.6 needs 3.10; 3.11 is refused).
# Looks on PATH first, then in pyenv; explains what to do when there is none.
set -euo pipefail
for candidate in "${PYTHON:-}" python3.10 python3 python; do
  [ -n "$candidate" ] || continue
  path=$(command -v "$candidate" 2>/dev/null) || continue
  if "$path" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; then
    echo "$path"; exit 0
  fi
done
if command -v pyenv >/dev/null 2>&1 && prefix=$(pyenv prefix 3.10 2>/dev/null); then
  for path in "$prefix"/bin/python3.10; do
    [ -x "$path" ] && { echo "$path"; exit 0; }
  done
fi
echo "Python 3.10 is required (Rasa 3.6 does not run on 3.11+) and none was found." >&2
echo "Install it (e.g. 'pyenv install 3.10' or your distribution's python3.10) or set PYTHON=/path/to/python3.10." >&2
exit 1
