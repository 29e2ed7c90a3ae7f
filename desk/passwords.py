"""Advisors' passwords: PBKDF2-SHA256 hashes, never the passwords themselves.

``python -m desk.passwords`` asks a password twice and prints the line to paste in
the advisors' file (``desk/advisors.yml``).
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import hmac
import secrets
import sys

ALGORITHM = "pbkdf2_sha256"
ITERATIONS = 600_000  # OWASP's 2023 figure for PBKDF2-SHA256
MAX_PASSWORD = 1024  # longer inputs are refused before hashing (no CPU exhaustion)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


def hash_password(password: str, iterations: int = ITERATIONS) -> str:
    """``pbkdf2_sha256$<iterations>$<salt>$<hash>``."""
    salt = secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    return f"{ALGORITHM}${iterations}${_b64(salt)}${_b64(digest)}"


def verify(password: str, stored: str) -> bool:
    """Whether ``password`` matches ``stored`` (constant-time comparison)."""
    try:
        algorithm, iterations, salt, digest = stored.split("$")
        rounds = int(iterations)
    except ValueError:
        return False
    if algorithm != ALGORITHM or not 1 <= rounds <= 10_000_000 or len(password) > MAX_PASSWORD:
        return False
    computed = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), _unb64(salt), rounds)
    return hmac.compare_digest(computed, _unb64(digest))


def main() -> int:
    """Prompts for a password and prints its hash."""
    first = getpass.getpass("Mot de passe du conseiller : ")
    if len(first) < 10:
        print("Choisissez au moins 10 caractères.", file=sys.stderr)
        return 1
    if getpass.getpass("Encore une fois : ") != first:
        print("Les deux saisies diffèrent.", file=sys.stderr)
        return 1
    print(hash_password(first))
    return 0


if __name__ == "__main__":
    sys.exit(main())
