"""What the simulated customers of ``make bench-load`` write (``bench/load.py``).

A ``Script`` is one realistic conversation: a sequence of ``Turn``s, each with a few ways
a customer may type it (one is drawn per conversation). Colibri's scripts follow the
contract's demo customers and orders (``../shared/CONTRACT.md``): order tracking with the
e-mail check (step by step, all in one message, a wrong e-mail first, a tracking number
alone, a delivered parcel), returns, refunds and FAQ questions, with greetings, the
satisfaction survey's answers and thanks. Rasa's starter bot (``rasa init``) gets the
conversations its own stories know (greet, mood, bot challenge, goodbye).

The customers do not read the replies, with one exception: a turn marked ``form_answer``
is skipped once a reply of the conversation matched the script's ``done`` pattern. A
return already registered by an earlier customer (the demo database is shared by all of
them) is given back at once (« RET-100003 »), and its form asks nothing more.

Which replies count as "database-backed" is read from the tracker store afterwards: a
message is database-backed when an action in ``DB_ACTIONS`` ran in reply to it.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from typing import Iterator, List, Optional, Sequence, Tuple

# Actions (and forms, whose validation runs on the action server) that read or write the
# shop's database: orders, order lines, returns, tickets, ratings, the customer's link to
# the conversation (actions/shop.py, returns.py, tickets.py, satisfaction.py, outreach.py).
DB_ACTIONS = frozenset({
    "order_tracking_form", "action_track_order", "action_open_investigation",
    "cancel_order_form", "action_prepare_cancellation", "action_cancel_order",
    "refund_form", "action_refund_status",
    "return_form", "action_ask_return_item", "action_register_return",
    "change_address_form", "action_prepare_address_change", "action_change_address",
    "account_link_form", "action_send_account_link",
    "action_handoff", "action_create_callback", "action_create_email_ticket",
    "action_record_rating", "action_save_satisfaction_comment",
    "action_ask_delivery_feedback", "action_remind_return",
})


@dataclass(frozen=True)
class Turn:
    """One message of a script, in the ways a customer may type it."""

    variants: Tuple[str, ...]
    form_answer: bool = False


def turn(*variants: str, form_answer: bool = False) -> Turn:
    return Turn(tuple(variants), form_answer)


@dataclass(frozen=True)
class Script:
    """A conversation: its name, its kind (for the report), its turns, how often it is picked."""

    name: str
    flow: str
    turns: Tuple[Turn, ...]
    weight: float = 1.0
    done: Optional[str] = None  # a reply matching it skips the remaining ``form_answer`` turns


@dataclass
class Conversation:
    """A script with one variant drawn per turn; ``next_message`` follows the replies."""

    script: Script
    messages: List[Tuple[str, bool]] = field(default_factory=list)  # (text, form_answer)
    done: bool = False
    position: int = 0

    def observe(self, reply_text: str) -> None:
        """Reads a reply: only to know whether the script's ``done`` pattern was met."""
        if self.script.done and re.search(self.script.done, reply_text):
            self.done = True

    def next_message(self) -> Optional[str]:
        """The next message to send, or None at the end of the script."""
        while self.position < len(self.messages):
            text, form_answer = self.messages[self.position]
            self.position += 1
            if form_answer and self.done:
                continue
            return text
        return None


SURVEY = turn("5", "4/5", "5 étoiles", "je mets 4", "⭐⭐⭐⭐")
NO_COMMENT = turn("non merci", "non ça ira", "non")
BYE = turn("au revoir", "merci, bonne journée", "bonne soirée", "ok au revoir")
HELLO = turn("bonjour", "salut", "Bonjour !", "bonsoir", "hello")
THANKS = turn("merci beaucoup", "super merci !", "merci", "parfait merci 👍")

COLIBRI_SCRIPTS: Tuple[Script, ...] = (
    Script("tracking_step_by_step", "tracking", (
        HELLO,
        turn("ou est mon colis ?", "jai pa recu ma commande", "Où en est ma commande s'il vous plaît ?",
             "je voudrais suivre ma commande"),
        turn("c'est la co-100001", "CO100001", "commande 100001", "co 100001"),
        turn("camille.martin@example.fr", "mon mail c'est camille.martin@example.fr",
             "Camille.Martin@example.fr"),
        SURVEY, NO_COMMENT, BYE,
    ), weight=3),
    Script("tracking_delayed_one_message", "tracking", (
        turn("jai pa recu ma cmd co 100005, lucas.bernard@example.fr",
             "Bonjour, où en est ma commande CO100005 ? mon mail lucas.bernard@example.fr",
             "toujours rien reçu pour la commande CO-100005 (lucas.bernard@example.fr)"),
        turn("ok merci", "d'accord merci pour l'info"),
        turn("3", "2/5 c'est long quand même", "3 étoiles"),
        NO_COMMENT,
    ), weight=2),
    Script("tracking_wrong_email_first", "tracking", (
        turn("je veux suivre ma commande CO100003", "où en est ma commande co100003 ?"),
        turn("emma.petit@example.fr"),
        turn("ah pardon c'est camille.martin@example.fr", "oups, c'est camille.martin@example.fr"),
        THANKS, BYE,
    ), weight=1),
    Script("tracking_number_alone", "tracking", (
        turn("ou en est le colis 6A10000000006 ?", "suivi du colis 6A10000000001 svp",
             "mon numéro de suivi c'est 6A10000000005, il est où ?"),
        THANKS,
    ), weight=1),
    Script("tracking_delivered", "tracking", (
        turn("le colis CO100006 est marqué livré, emma.petit@example.fr",
             "ma commande CO100006 est livrée ? emma.petit@example.fr"),
        turn("oui je l'ai bien reçu", "oui c'est bon je l'ai"),
        SURVEY, NO_COMMENT,
    ), weight=1),
    Script("return_step_by_step", "return", (
        turn("je veux renvoyer ma robe", "je veux retourner un article", "je voudrais renvoyer un article"),
        turn("CO100002", "c'est la commande co-100002"),
        turn("camille.martin@example.fr"),
        turn("oui", "oui je l'ai ouvert", form_answer=True),
        turn("oui", "oui elle est intacte", form_answer=True),
        turn("c'est trop petit", "la taille ne va pas", "elle ne me plaît pas", form_answer=True),
        SURVEY, NO_COMMENT,
    ), weight=2, done=r"RET-\d{6}"),
    Script("return_damaged", "return", (
        turn("je veux renvoyer mon casque audio commande CO100006, il est arrivé cassé",
             "je voudrais retourner mon casque audio de la commande CO100006, il est abîmé"),
        turn("emma.petit@example.fr"),
        turn("oui", form_answer=True),
        turn("non", "non il est cassé", form_answer=True),
        THANKS, BYE,
    ), weight=1, done=r"RET-\d{6}"),
    Script("refund_status", "refund", (
        turn("je n'ai toujours pas été remboursé", "où en est mon remboursement ?",
             "j'attends toujours mon remboursement"),
        turn("RET-100001", "c'est le retour RET-100001"),
        turn("emma.petit@example.fr"),
        THANKS,
    ), weight=1),
    Script("faq_questions", "faq", (
        HELLO,
        turn("c'est combien la livraison ?", "quels sont les frais de livraison ?",
             "la livraison est gratuite ?"),
        turn("vous acceptez paypal ?", "je peux payer en plusieurs fois ?", "quels moyens de paiement ?"),
        turn("vous livrez en belgique ?", "combien de temps pour être livré ?",
             "c'est quoi le délai pour retourner un article ?", "la garantie c'est combien de temps ?"),
        THANKS, SURVEY, NO_COMMENT,
    ), weight=3),
    Script("faq_inside_tracking", "faq", (
        turn("ou est ma commande", "je cherche mon colis"),
        turn("au fait vous êtes ouverts le dimanche ?", "c'est quoi vos horaires ?",
             "comment vous contacter par téléphone ?"),
        turn("CO100001"),
        turn("camille.martin@example.fr"),
        THANKS,
    ), weight=1),
)

STARTER_SCRIPTS: Tuple[Script, ...] = (
    Script("happy_path", "starter", (
        turn("hello", "hi", "hey there", "good morning"),
        turn("I am feeling great", "perfect", "amazing", "I am great"),
        turn("bye", "goodbye", "see you later"),
    ), weight=2),
    Script("sad_path_helped", "starter", (
        turn("hi", "hello there"),
        turn("I am sad", "very bad", "not good"),
        turn("yes", "indeed", "of course"),
        turn("bye"),
    )),
    Script("sad_path_not_helped", "starter", (
        turn("hey", "good evening"),
        turn("my day was horrible", "I am disappointed"),
        turn("no", "never"),
    )),
    Script("bot_challenge", "starter", (
        turn("hello"),
        turn("are you a bot?", "am I talking to a human?"),
        turn("great", "very good"),
        turn("goodbye"),
    )),
)

TARGET_SCRIPTS = {"one": COLIBRI_SCRIPTS, "two": COLIBRI_SCRIPTS, "starter": STARTER_SCRIPTS}


def draw(script: Script, rng: random.Random) -> Conversation:
    """A conversation of ``script`` with one variant of each turn."""
    return Conversation(script, [(rng.choice(t.variants), t.form_answer) for t in script.turns])


def pick(scripts: Sequence[Script], rng: random.Random) -> Script:
    """A script, drawn by weight."""
    return rng.choices(list(scripts), weights=[s.weight for s in scripts], k=1)[0]


def think_times(mean: float, rng: random.Random) -> Iterator[float]:
    """Pauses between a customer's messages: exponential (a Poisson process per customer)."""
    if mean <= 0:
        while True:
            yield 0.0
    while True:
        yield rng.expovariate(1.0 / mean)


def sender_id(run: str, phase: str, customer: int, conversation: int) -> str:
    """A sender id unique to the run, the phase, the customer and their n-th conversation."""
    return f"bench-{run}-{phase}-c{customer:03d}-n{conversation:03d}"
