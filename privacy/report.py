"""What a privacy job did: rows deleted and anonymised per table, what was kept and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List

from privacy.forget import Changes


@dataclass(frozen=True)
class Report:
    """A job's outcome; ``dry_run``: counted in a transaction that was then rolled back."""

    command: str  # retention | erase
    dry_run: bool
    scope: Dict[str, Any]  # what was asked: days and cut-off, or e-mails and conversation ids
    conversations: List[str]  # the conversations forgotten
    deleted: Dict[str, int]
    anonymised: Dict[str, int]
    kept: Dict[str, str]  # table(s) -> why they were kept
    kept_counts: Dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, command: str, changes: Changes, dry_run: bool, scope: Dict[str, Any],
           kept: Dict[str, str], kept_counts: Dict[str, int] | None = None) -> Report:
        return cls(command, dry_run, scope, sorted(changes.conversations), dict(changes.deleted),
                   dict(changes.anonymised), kept, kept_counts or {})

    def to_json(self) -> Dict[str, Any]:
        """Plain data, the conversation ids included."""
        return {"command": self.command, "dry_run": self.dry_run, **self.scope,
                "conversations": self.conversations, "deleted": self.deleted, "anonymised": self.anonymised,
                "kept": self.kept, "kept_counts": self.kept_counts}

    def render(self) -> str:
        """A French table of the counts, without the conversation ids."""
        tables = sorted(set(self.deleted) | set(self.anonymised))
        width = max([len("table"), *map(len, tables)])
        lines = [f"Conversations oubliées : {len(self.conversations)}",
                 f"{'table':<{width}}  supprimées  anonymisées"]
        lines += [f"{name:<{width}}  {self.deleted.get(name, 0):>10}  {self.anonymised.get(name, 0):>11}"
                  for name in tables]
        lines += [f"Conservé : {name} ({why})" for name, why in self.kept.items()]
        if self.dry_run:
            lines.append("Essai à blanc (--dry-run) : rien n'a été modifié.")
        return "\n".join(lines) + "\n"
