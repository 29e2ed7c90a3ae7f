"""Erasure on request: everything about a customer, by e-mail address or conversation id.

By e-mail, the customer's conversations are those linked to the address anywhere:
``customer_conversations`` and ``proactive_messages`` (the customer with that address),
``tickets`` (their e-mail, or the address in the transcript or question), ``handoffs``
(the address in the summary), ``link_requests`` (the address's hash), and the tracker
store's ``events`` whose data holds the address. They are forgotten without keeping
statistics (``forget.forget``), and so are the customer's own rows: opt-out, proactive
messages, conversation links, link requests. By conversation id, exactly those
conversations are forgotten.

Kept, and said so in the report: the customer's account, orders and returns (the shop's
records, which the law obliges it to keep) and the tickets, emptied of personal data.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Iterable, List, Optional, Sequence, Set

from sqlalchemy import delete, func, or_, select
from sqlalchemy.engine import Engine

from actions.account_models import LinkRequest
from actions.accounts import hash_email
from actions.desk_models import Handoff
from actions.models import Customer, Order, Return, Ticket
from actions.normalise import email as normalised_email
from actions.outreach_models import CustomerConversation, NotificationOptOut, ProactiveMessage
from privacy.forget import Changes, forget, present
from privacy.report import Report
from privacy.stores import PrivacyError, Stores, open_stores
from trainers.tracker_source import EVENTS

NOTES = {
    "customers": "compte client conservé : sa suppression relève du système de comptes de la boutique",
    "orders, order_items, returns": "conservés : pièces comptables de la boutique (10 ans, "
                                    "Code de commerce L123-22), sans rien de la conversation",
    "tickets": "conservés sans donnée personnelle (numéro, type, statut, dates)",
    "logs": "rien à effacer : les journaux sont écrits masqués (privacy/logging.yml)",
}


def _contains(column: Any, address: str) -> Any:
    """``column`` holds ``address`` in any case, as typed or JSON-escaped (Rasa's ``data``)."""
    forms = {address, json.dumps(address)[1:-1]}
    return or_(*(func.lower(column).contains(form, autoescape=True) for form in sorted(forms)))


def _customer_ids(stores: Stores, address: str) -> List[int]:
    query = select(Customer.id).where(func.lower(Customer.email) == address)
    return list(stores.shop.execute(query).scalars())


def _conversations_of(stores: Stores, address: str, customers: Sequence[int]) -> Set[str]:
    """Every conversation linked to ``address`` (lower-cased) or to the customers with it."""
    finders = {
        CustomerConversation: CustomerConversation.customer_id.in_(customers),
        ProactiveMessage: ProactiveMessage.customer_id.in_(customers),
        Ticket: (func.lower(Ticket.email) == address) | _contains(Ticket.transcript, address)
        | _contains(Ticket.question, address),
        Handoff: _contains(Handoff.summary, address),
        LinkRequest: LinkRequest.email_hash == hash_email(address),
    }
    found: Set[str] = set()
    for model in present(stores.shop_tables, *finders):
        found.update(stores.shop.execute(select(model.conversation_id).distinct().where(
            finders[model], model.conversation_id.is_not(None))).scalars())
    found.update(stores.tracker.execute(select(EVENTS.c.sender_id).distinct().where(
        _contains(EVENTS.c.data, address))).scalars())
    return found


def _forget_customer_rows(stores: Stores, address: str, customers: Sequence[int], changes: Changes) -> None:
    """The customer's rows that no conversation holds: opt-out, messages, links, link requests."""
    rows = {
        NotificationOptOut: NotificationOptOut.customer_id.in_(customers),
        ProactiveMessage: ProactiveMessage.customer_id.in_(customers),
        CustomerConversation: CustomerConversation.customer_id.in_(customers),
        LinkRequest: LinkRequest.email_hash == hash_email(address),
    }
    for model in present(stores.shop_tables, *rows):
        changes.deleted[model.__tablename__] += stores.shop.execute(
            delete(model).where(rows[model]).execution_options(synchronize_session=False)).rowcount


def _kept_counts(stores: Stores, customers: Sequence[int]) -> Dict[str, int]:
    """The customers' rows the shop keeps: accounts, orders, returns."""
    orders = select(Order.id).where(Order.customer_id.in_(customers))
    return {
        "customers": len(customers),
        "orders": stores.shop.execute(select(func.count()).select_from(orders.subquery())).scalar_one(),
        "returns": stores.shop.execute(select(func.count(Return.id)).where(Return.order_id.in_(orders)))
        .scalar_one(),
    }


def _addresses(emails: Iterable[str]) -> List[str]:
    found = []
    for typed in emails:
        address = normalised_email(typed)
        if address is None:
            raise PrivacyError(f"not an e-mail address: {typed!r}")
        found.append(address)
    return found


def run_erasure(emails: Sequence[str] = (), conversations: Sequence[str] = (), dry_run: bool = False,
                tracker_url: Optional[str] = None, shop: Optional[Engine] = None) -> Report:
    """Forgets everything about the customers with ``emails`` and the ``conversations``."""
    addresses = _addresses(emails)
    requested = {c.strip() for c in conversations} - {""}
    wanted = set(requested)
    if not addresses and not wanted:
        raise PrivacyError("nothing to erase: give --email or --conversation")
    with open_stores(tracker_url, shop, dry_run) as stores:
        customers = {address: _customer_ids(stores, address) for address in addresses}
        for address, ids in customers.items():
            wanted |= _conversations_of(stores, address, ids)
        changes = forget(stores.tracker, stores.shop, stores.shop_tables, wanted, keep_statistics=False)
        for address, ids in customers.items():
            _forget_customer_rows(stores, address, ids, changes)
        kept_counts = _kept_counts(stores, [i for ids in customers.values() for i in ids])
    scope = {"emails": addresses, "requested_conversations": sorted(requested)}
    return Report.of("erase", changes, dry_run, scope, dict(NOTES), kept_counts)
