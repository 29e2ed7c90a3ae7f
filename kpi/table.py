"""The report as a French text table, for the terminal (``make kpi``).

Numbers are written as the dashboard writes them: rates in % with one decimal, times
in seconds with two, a decimal comma.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Dict, List, Optional

from kpi import labels
from kpi.metrics import ACTIVE_MIN_CONVERSATIONS, ENGAGED_MIN_MESSAGES

WIDTH = 52  # of the labels column
COMMENTS_PRINTED = 10
NONE = "—"


def percent(value: Optional[float]) -> str:
    """0.333 -> « 33,3 % »."""
    return NONE if value is None else f"{value * 100:.1f} %".replace(".", ",")


def seconds(value: Optional[float]) -> str:
    """0.45 -> « 0,45 s »."""
    return NONE if value is None else f"{value:.2f} s".replace(".", ",")


def mean(value: Optional[float]) -> str:
    """4.25 -> « 4,25 / 5 »."""
    return NONE if value is None else f"{value:.2f} / 5".replace(".", ",")


def share(value: Optional[float], part: int, whole: int) -> str:
    """« 33,3 % (1 sur 3) »."""
    return f"{percent(value)} ({part} sur {whole})"


def _day(iso: str) -> str:
    return date.fromisoformat(iso).strftime("%d/%m/%Y")


def _line(label: str, value: Any) -> str:
    return f"  {label:<{WIDTH}} {value}"


def _grid(header: List[str], rows: List[List[Any]]) -> List[str]:
    cells = [header, *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    out = []
    for number, row in enumerate(cells):
        out.append("  " + "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                                    for i, (c, w) in enumerate(zip(row, widths, strict=True))).rstrip())
        if number == 0:
            out.append("  " + "  ".join("-" * w for w in widths))
    return out


def render(report: Dict[str, Any]) -> str:
    """The whole report, section by section, then its evolution per week or month."""
    period, usage, kept = report["period"], report["usage"], report["retention"]
    times, confused, csat = report["response_time"], report["confusion"], report["satisfaction"]
    contained, handed = report["containment"], report["handoffs"]
    channel = labels.channel(period["channel"]) if period["channel"] else "tous"
    out = [f"Colibri — indicateurs clés du {_day(period['from'])} au {_day(period['to'])}, "
           f"canal : {channel} (heure de Paris)", ""]

    out += ["1. Utilisation et activation",
            _line("Conversations", usage["conversations"]),
            _line("Clients distincts", usage["customers"]),
            _line("Nouveaux clients (première conversation)", usage["new_customers"]),
            _line(f"Clients actifs (≥ {ACTIVE_MIN_CONVERSATIONS} conversations)", usage["active_customers"]),
            _line(f"Clients engagés (≥ {ENGAGED_MIN_MESSAGES} messages)", usage["engaged_customers"]),
            _line("Messages des clients", usage["customer_messages"]), ""]

    out += ["2. Taux de rétention (nouveaux clients revenus ensuite)",
            _line("Sur la période", share(kept["rate"], kept["returned"], kept["new_customers"]))]
    for title, rows in (("Mois", kept["months"]), ("Trimestre", kept["quarters"])):
        out += _grid([title, "Nouveaux clients", "Revenus", "Taux"],
                     [[r["label"], r["new_customers"], r["returned"], percent(r["rate"])] for r in rows])
    out.append("")

    out += ["3. Temps de réponse (du message du client à la première réponse de Colibri)",
            _line("Messages avec réponse", times["messages"]),
            _line("Médiane (p50)", seconds(times["p50"])),
            _line("95e centile (p95)", seconds(times["p95"])),
            _line("Maximum", seconds(times["max"]))]
    out += _grid(["Canal", "Messages", "p50", "p95", "Max"],
                 [[r["label"], r["messages"], seconds(r["p50"]), seconds(r["p95"]), seconds(r["max"])]
                  for r in times["channels"]])
    out.append("")

    out += ["4. Taux de confusion",
            _line("Conversations avec confusion", share(confused["rate"], confused["confused"],
                                                        confused["conversations"])),
            _line("  dont message non compris", confused["fallback"]),
            _line("  dont reformulation demandée", confused["rephrase"]),
            _line("  dont hors sujet", confused["out_of_scope"]),
            _line("Transférées à un conseiller faute de compréhension",
                  share(confused["redirected_rate"], confused["redirected"], confused["confused"])), ""]

    out += ["5. Satisfaction des clients (CSAT, note de 1 à 5)",
            _line("Enquêtes proposées", csat["surveys"]),
            _line("Notes reçues", csat["ratings"]),
            _line("Taux de réponse", percent(csat["response_rate"])),
            _line("Note moyenne", mean(csat["mean"])),
            _line("Répartition", "  ".join(f"{d['rating']}★ {d['count']}" for d in csat["distribution"])),
            _line("Commentaires", len(csat["comments"]))]
    for comment in csat["comments"][:COMMENTS_PRINTED]:
        out.append(f"    {comment['date']}  {comment['rating']}/5  {labels.channel(comment['channel'])} : "
                   f"« {comment['comment']} »")
    out.append("")

    out += ["6. Résolution sans conseiller et transferts",
            _line("Taux d'autonomie (aucun conseiller)",
                  share(contained["containment_rate"], contained["contained"], contained["conversations"])),
            _line("Taux de transfert vers un conseiller", share(handed["handoff_rate"], handed["handed_off"],
                                                                contained["conversations"]))]
    for reason in handed["reasons"]:
        out.append(_line(f"  {reason['label']}", reason["count"]))
    out.append("")

    out += ["7. Demandes les plus fréquentes (conversations)"]
    out += [f"  {n:>2}. {r['label']} : {r['conversations']} ({percent(r['share'])})"
            for n, r in enumerate(report["top_requests"], 1)] or ["  aucune"]
    out.append("")
    out += ["8. Messages les moins bien compris"]
    out += [f"  {m['count']:>3} × « {m['text']} » ({', '.join(m['reason_labels'])})"
            for m in report["top_misunderstood"]] or ["  aucun"]
    out.append("")

    step = "semaine" if period["granularity"] == "week" else "mois"
    out += [f"9. Évolution par {step}"]
    out += _grid(["Période", "Conv.", "Clients", "Nouveaux", "Actifs", "Engagés", "Rétention", "Rép. p50",
                  "Rép. p95", "Confusion", "CSAT", "Autonomie"],
                 [[s["label"], s["conversations"], s["customers"], s["new_customers"], s["active_customers"],
                   s["engaged_customers"], percent(s["retention_rate"]), seconds(s["response_p50"]),
                   seconds(s["response_p95"]), percent(s["confusion_rate"]), mean(s["csat_mean"]),
                   percent(s["containment_rate"])] for s in report["series"]])
    return "\n".join(out) + "\n"
