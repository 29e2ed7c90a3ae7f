"""French words for what the report shows: channels, handoff reasons, requests, missed reasons."""

from __future__ import annotations

from actions.confusion import FAQ_LABELS, LABELS

CHANNELS = {"rest": "API REST", "socketio": "Site web", "facebook": "Messenger", "unknown": "Inconnu"}
HANDOFF_REASONS = {
    "customer_request": "Demande du client",
    "upset_customer": "Client mécontent",
    "not_understood": "Incompréhension",
    "identity_check_failed": "Vérification d'identité échouée",
    "offered": "Proposé par Colibri",
}
MISSED_REASONS = {
    "fallback": "non compris",
    "out_of_scope": "hors sujet",
    "low_confidence": "compréhension incertaine",
    "ambiguous": "ambigu",
    "handoff": "avant un transfert",
    "complaint": "le client dit que la réponse ne convenait pas",
}
SURVEY_REQUESTS = {
    "order_tracking": "Suivi de commande",
    "return": "Retour d'article",
    "cancellation": "Annulation",
    "faq": "Question générale",
    "delivery": "Livraison",
    "handoff": "Aide d'un conseiller",
    "general": "Autre",
}
MORE_REQUESTS = {
    "request_callback": "Être rappelé",
    "request_email_answer": "Réponse par e-mail",
    "faq": "Une question générale",
}


def channel(name: str) -> str:
    return CHANNELS.get(name, name)


def handoff_reason(reason: str) -> str:
    return HANDOFF_REASONS.get(reason, reason)


def request(intent: str) -> str:
    """« Suivre une commande » for ``track_order``; FAQ answers by subject (``faq/delivery_cost``)."""
    base, _, answer = intent.partition("/")
    if answer and answer in FAQ_LABELS:
        return f"FAQ : {FAQ_LABELS[answer]}"
    return LABELS.get(base) or MORE_REQUESTS.get(base) or intent


def survey_request(name: str) -> str:
    return SURVEY_REQUESTS.get(name, name)
