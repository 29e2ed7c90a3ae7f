"""Speed-ups of the Rasa server's own code, found by profiling it under load.

Each one keeps Rasa's behaviour (same results, same errors) and only removes repeated
work; ``install()`` applies them all and may be called more than once. The Rasa server
applies them when it loads Colibri's channels (``channels/__init__.py``), so every way of
starting it (``make run``, ``make run-prod``, the Docker image, the Helm chart) has them.
See docs/performance.md, "Where a message's time goes".
"""

from rasa_speedups import action_responses, events, tracker_store


def install() -> None:
    """Applies every speed-up to the Rasa classes of this process."""
    action_responses.install()
    events.install()
    tracker_store.install()
