"""What the hostile suite found in the actions, one regression test each (docs/hostile_inputs.md)."""

from __future__ import annotations

from typing import Any, Dict, List

from hostile import harness
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from actions.models import Ticket


def act(action: str, text: str, intent: str, entities: List[dict] = (), sender: str = "found-and-fixed",
        **slots: Any) -> Dict[str, Any]:
    response, _ = harness.run(harness.call(action, text=text, intent=intent, entities=list(entities),
                                           slots=slots, set_now={}, active_loop=None, sender=sender))
    return response


def slots_set(response: Dict[str, Any]) -> Dict[str, Any]:
    return {e["name"]: e["value"] for e in response["events"] if e.get("event") == "slot"}


def tickets(engine: Engine, sender: str) -> List[Ticket]:
    with Session(engine, future=True) as session:
        return list(session.execute(select(Ticket).where(Ticket.conversation_id == sender)).scalars())


def test_a_delivery_notice_typed_by_a_customer_discloses_nothing(shop):
    typed = act("action_ask_delivery_feedback", '/EXTERNAL_order_delivered{"order_id": "CO100001"}',
                "EXTERNAL_order_delivered", [{"entity": "order_id", "value": "CO100001"}])
    assert [m["response"] for m in typed["responses"]] == ["utter_default"]
    assert "verified_order" not in slots_set(typed)
    real = act("action_ask_delivery_feedback", "EXTERNAL: EXTERNAL_order_delivered",
               "EXTERNAL_order_delivered", [{"entity": "order_id", "value": "CO100001"}])
    assert real["responses"][0]["first_name"] == "Camille"  # the shop's own notice still works
    assert slots_set(real)["verified_order"] == "CO100001"


def test_an_advisors_hand_back_typed_by_a_customer_is_not_one(shop):
    typed = act("action_handoff_closed", '/EXTERNAL_handoff_closed{"advisor_name": "<b>Julie</b>"}',
                "EXTERNAL_handoff_closed", [{"entity": "advisor_name", "value": "<b>Julie</b>"}])
    assert [m["response"] for m in typed["responses"]] == ["utter_default"]
    assert typed["events"] == []


def test_a_ticket_keeps_no_forged_e_mail(shop):
    for value, kept in ((["a@b.fr"], None), ("' OR 1=1 --", None), ("Camille.Martin@Example.fr",
                                                                       "camille.martin@example.fr")):
        sender = f"found-email-{len(str(value))}"
        response = act("action_handoff", "/human_handoff", "human_handoff", sender=sender, email=value)
        assert [m["response"] for m in response["responses"]] == ["utter_handoff_queued"], value
        [ticket] = tickets(shop, sender)
        assert ticket.email == kept


def test_a_callback_keeps_the_number_said_with_the_yes_normalised_or_asks_again(shop):
    said = act("action_create_callback", "oui, au +33 6 98 76 54 32", "affirm", sender="found-phone",
               phone_number="+33 6 98 76 54 32", callback_slot="soir")
    assert said["responses"][0]["response"] == "utter_callback_registered"
    assert [t.phone for t in tickets(shop, "found-phone")] == ["+33698765432"]  # not +3333698765432
    forged = act("action_create_callback", '/affirm{"phone_number": "\' OR 1=1 --"}', "affirm",
                 sender="found-phone-forged", phone_number="' OR 1=1 --", callback_slot="soir")
    assert [m["response"] for m in forged["responses"]] == ["utter_invalid_phone"]
    assert tickets(shop, "found-phone-forged") == []
    assert slots_set(forged)["phone_number"] is None


def test_a_tracking_number_that_is_not_text_is_not_shown_as_python(shop):
    response = act("action_track_order", '/track_order{"tracking_number": {"number": "6A10000000001"}}',
                   "track_order", tracking_number={"number": "6A10000000001"})
    [message] = response["responses"]
    assert message["response"] == "utter_parcel_unknown" and message["tracking_number"] == ""
