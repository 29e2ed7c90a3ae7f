"""Load benchmark (issue 8, "Load, measured"): ``make bench-load``.

Usage::

    python -m bench.load [--customers 20] [--interval 2] [--duration 60]
                         [--targets one,two,starter] [--max-rate] [--step-duration 30]

For each target (``bench/load_targets.py``: Colibri on one Rasa server, on two behind
nginx, Rasa's starter bot as a reference), in turn:

1. start it (throw-away databases, its own queue), then **warm up**: every script once,
   one after the other, not measured;
2. **measure**: ``--customers`` simulated customers (asyncio, aiohttp, one HTTP
   connection pool) write to the REST channel (``POST /webhooks/rest/webhook``) for
   ``--duration`` seconds. Each customer runs conversations of ``bench/load_scripts.py``
   one after the other (a new sender id each), waits for each reply, then pauses for an
   exponentially distributed time of mean ``--interval`` seconds before the next message
   (the first message after a random delay, so the customers do not start together).
   A message is an error when the request times out (``--timeout``), fails, answers
   non-200 or an empty list, or when the reply is an apology instead of an answer
   (``load_targets.APOLOGY_RESPONSES``, channels/failsafe.py);
3. **check the tracker store** (``bench/load_check.py``): every message of every
   conversation there, in the order sent, each followed by a bot message; the actions
   that ran for each message tell database-backed messages from the others;
4. with ``--max-rate`` (targets ``one`` and ``starter``): raise the offered rate step by
   step (``--rate-start`` messages/s, times ``--rate-factor``, ``--step-duration`` s
   each, more customers at the same interval) until p95 exceeds 500 ms or an error
   appears, then one step between the last sustained rate and the first failed one (when
   the first step already fails, lower rates, down to 0.5 message/s); the highest
   measured rate sustained is reported;
5. stop it.

Figures: printed, and written to ``results/bench/load_summary.json``,
``results/bench/load_summary.md`` and every message to ``results/bench/load_messages.csv``.
Method and results: docs/performance.md. Exit code 0 unless something broke (a target
that misses its targets is reported FAIL, not an exit code).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import math
import os
import platform
import random
import time
import traceback
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional, Pattern, Sequence, Tuple

import aiohttp
from sqlalchemy import create_engine

from bench import load_check, load_cpu, load_profile, load_scripts, load_stats
from bench.load_stats import Record

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "results" / "bench"
TARGETS = ("one", "two", "starter")
MAX_RATE_TARGETS = ("one", "starter")
MIN_RATE = 0.5  # messages/s: the lowest rate the max-rate search goes down to
WEBHOOK = "/webhooks/rest/webhook"


# --------------------------------------------------------------------------- the customers


def classify(status: Optional[int], payload: Any, apologies: Sequence[Pattern[str]]) -> Optional[str]:
    """What is wrong with a reply (None: it is an answer)."""
    if status != 200:
        return f"http {status}"
    if not isinstance(payload, list):
        return "bad reply: not a list"
    if not payload:
        return "no reply"
    for message in payload:
        said = str(message.get("text") or "").strip() if isinstance(message, dict) else ""
        if said and any(p.fullmatch(said) for p in apologies):
            return f"apology: {said[:50]}"
    return None


def reply_text(payload: Any) -> str:
    if not isinstance(payload, list):
        return ""
    return "\n".join(str(m.get("text") or "") for m in payload if isinstance(m, dict))


class Phase:
    """One measured period against one target: its customers and what they recorded."""

    def __init__(self, url: str, scripts: Sequence[load_scripts.Script], apologies: Sequence[Pattern[str]],
                 run: str, name: str, timeout: float, seed: str) -> None:
        self.url, self.scripts, self.apologies = url.rstrip("/") + WEBHOOK, scripts, apologies
        self.run, self.name, self.timeout, self.seed = run, name, timeout, seed
        self.records: List[Record] = []
        self.sent: Dict[str, List[Tuple[str, bool]]] = {}

    async def say(self, session: aiohttp.ClientSession, sender: str, script: load_scripts.Script,
                  text: str) -> str:
        """Sends one message, records it; the reply's text."""
        position = len(self.sent.setdefault(sender, []))
        self.sent[sender].append((text, False))
        sent_at, start = time.time(), time.perf_counter()
        status, payload, error, latency = None, None, None, None
        try:
            async with session.post(self.url, json={"sender": sender, "message": text}) as response:
                status = response.status
                payload = await response.json(content_type=None) if status == 200 else await response.text()
            latency = time.perf_counter() - start
        except asyncio.TimeoutError:
            error = "timeout"
        except (aiohttp.ClientError, ValueError) as problem:
            error = f"connection: {type(problem).__name__}"
        if error is None:
            error = classify(status, payload, self.apologies)
        self.sent[sender][position] = (text, error is None)
        self.records.append(Record(sender, position, script.name, script.flow, text, sent_at, latency, status,
                                   error, len(payload) if isinstance(payload, list) else 0))
        return reply_text(payload)

    async def customer(self, session: aiohttp.ClientSession, number: int, interval: float,
                       deadline: float) -> None:
        """Conversations one after the other until ``deadline`` (loop time)."""
        loop = asyncio.get_running_loop()
        rng = random.Random(f"{self.seed}-{self.name}-{number}")
        pauses = load_scripts.think_times(interval, rng)
        await asyncio.sleep(rng.uniform(0, interval))
        conversation_number = 0
        while loop.time() < deadline:
            conversation = load_scripts.draw(load_scripts.pick(self.scripts, rng), rng)
            sender = load_scripts.sender_id(self.run, self.name, number, conversation_number)
            conversation_number += 1
            while (text := conversation.next_message()) is not None:
                if loop.time() >= deadline:
                    return
                conversation.observe(await self.say(session, sender, conversation.script, text))
                pause = next(pauses)
                if loop.time() + pause >= deadline:
                    return
                await asyncio.sleep(pause)

    async def drive(self, customers: int, interval: float, duration: float) -> float:
        """Runs the customers for ``duration`` s; the elapsed time until the last reply."""
        connector = aiohttp.TCPConnector(limit=0)
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            loop = asyncio.get_running_loop()
            start = loop.time()
            await asyncio.gather(*(self.customer(session, n, interval, start + duration)
                                   for n in range(customers)))
            # customers may stop just before the end (no time left for a pause): the period
            # lasts ``duration``, or longer when replies came after it
            return max(loop.time() - start, duration)

    async def warm_up(self) -> None:
        """Every script once, one after the other, no pause."""
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout)) as session:
            for number, script in enumerate(self.scripts):
                conversation = load_scripts.draw(script, random.Random(number))
                sender = load_scripts.sender_id(self.run, self.name, number, 0)
                while (text := conversation.next_message()) is not None:
                    conversation.observe(await self.say(session, sender, script, text))


def measure(target: Any, run: str, name: str, customers: int, interval: float, duration: float,
            timeout: float, seed: str) -> Dict[str, Any]:
    """One phase against a started target: figures, the tracker store's check, the records."""
    phase = Phase(target.url, target.scripts, target.apologies, run, name, timeout, seed)
    cpu, machine = time.process_time(), load_cpu.snapshot()
    elapsed = asyncio.run(phase.drive(customers, interval, duration))
    cpu, machine_after = time.process_time() - cpu, load_cpu.snapshot()
    if any(r.error == "timeout" for r in phase.records):
        time.sleep(min(timeout, 10))  # a request given up on may still be handled: let it land
    store = check_tracker_store(target.tracker_url, phase.sent)
    db_backed = {key: any(a in load_scripts.DB_ACTIONS for a in actions)
                 for key, actions in store.actions.items()}
    summary = load_stats.summarise(phase.records, db_backed, elapsed)
    # the load generator's own CPU time (it shares the machine with what it measures)
    summary["client_cpu_ms_per_message"] = round(cpu * 1000 / max(1, len(phase.records)), 2)
    summary["cpu"] = load_cpu.usage(machine, machine_after, elapsed,
                                    sum(1 for r in phase.records if r.error is None))
    return {"summary": summary, "store": store.as_dict(), "records": phase.records, "db_backed": db_backed,
            "actions": store.actions}


def check_tracker_store(url: str, sent: Dict[str, List[Tuple[str, bool]]]) -> load_check.StoreCheck:
    engine = create_engine(url, future=True)
    try:
        return load_check.check_store(engine, sent)
    finally:
        engine.dispose()


def warm_up(target: Any, run: str, timeout: float) -> Dict[str, Any]:
    phase = Phase(target.url, target.scripts, target.apologies, run, f"{target.name}-warmup", timeout,
                  "warmup")
    asyncio.run(phase.warm_up())
    errors = [r for r in phase.records if r.error]
    return {"messages": len(phase.records), "errors": len(errors),
            "first_errors": [f"{r.text!r}: {r.error}" for r in errors[:5]]}


# --------------------------------------------------------------------------- max rate


def max_rate(target: Any, run: str, args: argparse.Namespace) -> Dict[str, Any]:
    """Raises the offered rate until p95 > 500 ms or an error; one refining step after."""
    steps: List[Dict[str, Any]] = []
    rates = load_stats.rate_ladder(args.rate_start, args.rate_factor, args.rate_limit)

    def step(rate: float, index: int) -> Dict[str, Any]:
        customers = max(1, round(rate * args.interval))
        print(f"    max-rate step {index}: {rate:g} msg/s offered ({customers} customers every "
              f"{args.interval:g} s, {args.step_duration:g} s)", flush=True)
        result = measure(target, run, f"{target.name}-rate{index}", customers, args.interval,
                         args.step_duration, args.timeout, args.seed)
        passed = load_stats.step_passes(result["summary"], result["store"]["ok"])
        s = result["summary"]
        print(f"      measured {s['messages_per_s']} msg/s, p95 {s['latency']['p95_ms']} ms, "
              f"errors {s['errors']}, store {'ok' if result['store']['ok'] else 'FAIL'} -> "
              f"{'sustained' if passed else 'not sustained'}", flush=True)
        entry = {"offered": rate, "customers": customers, "passed": passed, "store_ok": result["store"]["ok"],
                 "summary": s, "records": result["records"], "db_backed": result["db_backed"],
                 "actions": result["actions"], "phase": f"rate{index}"}
        steps.append(entry)
        time.sleep(2)
        return entry

    last_pass: Optional[float] = None
    failed_at: Optional[float] = None
    for index, rate in enumerate(rates):
        if step(rate, index)["passed"]:
            last_pass = rate
        else:
            failed_at = rate
            break
    if last_pass is not None and failed_at is not None:
        middle = round(math.sqrt(last_pass * failed_at), 2)
        if failed_at - last_pass >= 1 and middle not in (last_pass, failed_at):
            step(middle, len(steps))
    elif last_pass is None and failed_at is not None:  # even the first step failed: go down
        rate = failed_at / args.rate_factor
        while rate >= MIN_RATE and not step(round(rate, 2), len(steps))["passed"]:
            rate /= args.rate_factor
    return {"steps": steps, "best": load_stats.highest_sustained(steps),
            "limit_reached": failed_at is None and bool(steps)}


# --------------------------------------------------------------------------- output


CSV_FIELDS = ("target", "phase", "sender", "position", "script", "flow", "text", "sent_at", "latency_ms",
              "status", "error", "replies", "db_backed", "actions")


def write_outputs(out: Path, result: Dict[str, Any], rows: List[Dict[str, Any]], markdown: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "load_summary.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n",
                                           encoding="utf-8")
    (out / "load_summary.md").write_text(markdown + "\n", encoding="utf-8")
    with (out / "load_messages.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_FIELDS)
        writer.writeheader()
        writer.writerows(rows)


def csv_rows(target: str, phase: str, measured: Dict[str, Any]) -> List[Dict[str, Any]]:
    rows = []
    for r in measured["records"]:
        key = (r.sender, r.position)
        rows.append({
            "target": target, "phase": phase, "sender": r.sender, "position": r.position, "script": r.script,
            "flow": r.flow, "text": r.text, "sent_at": f"{r.sent_at:.3f}",
            "latency_ms": "" if r.latency is None else f"{r.latency * 1000:.1f}", "status": r.status or "",
            "error": r.error or "", "replies": r.replies,
            "db_backed": int(bool(measured["db_backed"].get(key))),
            "actions": " ".join(measured["actions"].get(key, ())),
        })
    return rows


def render(result: Dict[str, Any]) -> str:
    runs, lines = result["runs"], []
    p = result["parameters"]
    lines += [f"# Load benchmark ({result['finished']})", "",
              f"{p['customers']} customers, one message every {p['interval']:g} s on average each, "
              f"{p['duration']:g} s per target; machine: {result['machine']['cpus']} CPUs "
              f"({result['machine'].get('processor', 'unknown')}), load average "
              f"before {result['machine']['load_before']}, after {result['machine']['load_after']}.", ""]
    if runs:
        lines += [load_stats.markdown_table(runs), ""]
    for run in runs:
        lines.append(f"## {run['label']}")
        lines.append("")
        s = run["summary"]
        db, other = s["latency_db_backed"], s["latency_other"]
        if db["count"]:
            lines.append(f"- database-backed messages: p50 {db['p50_ms']} ms, p95 {db['p95_ms']} ms, "
                         f"p99 {db['p99_ms']} ms ({db['count']} messages); others: p50 {other['p50_ms']} ms, "
                         f"p95 {other['p95_ms']} ms ({other['count']})")
        for flow, lat in s["latency_by_flow"].items():
            lines.append(f"- {flow}: p50 {lat['p50_ms']} ms, p95 {lat['p95_ms']} ms, p99 {lat['p99_ms']} ms "
                         f"({lat['count']} messages)")
        if s["errors_by_kind"]:
            lines.append(f"- errors: {s['errors_by_kind']}")
        if "client_cpu_ms_per_message" in s:
            lines.append(f"- load generator: {s['client_cpu_ms_per_message']} ms of CPU per message")
        if "cpu" in s:
            lines.append(load_cpu.render(s["cpu"]))
        if "profile" in s:
            lines.append(load_profile.render(s["profile"]))
        for verdict in run.get("verdicts", []):
            lines.append(f"- {verdict}")
        lines.append("")
    if result["max_rate"]:
        lines += ["## Highest rate on one server (p95 <= 500 ms)", "",
                  load_stats.max_rate_table(result["max_rate"]), ""]
    if result["failures"]:
        lines += ["## Targets that could not be measured", ""]
        lines += [f"- {name}: {why}" for name, why in result["failures"].items()]
    return "\n".join(lines).rstrip()


# --------------------------------------------------------------------------- main


def run_target(name: str, shared: Any, model: Optional[Path], args: argparse.Namespace, run: str,
               result: Dict[str, Any], rows: List[Dict[str, Any]]) -> None:
    from bench import load_targets

    target = load_targets.start_target(name, shared, model, args.keep, args.retrain_starter)
    try:
        if args.warmup:
            warm = warm_up(target, run, args.timeout)
            print(f"    warm-up: {warm['messages']} messages, {warm['errors']} errors "
                  f"{warm['first_errors'] or ''}", flush=True)
        print(f"    measuring: {args.customers} customers, every {args.interval:g} s on average, "
              f"{args.duration:g} s", flush=True)
        profiler = None
        if args.profile and target.rasa_pids:
            profile_file = args.out / f"profile_{name}_rasa-1.txt"
            profiler = load_profile.record(target.rasa_pids[0], args.duration, profile_file)
        measured = measure(target, run, f"{name}-main", args.customers, args.interval, args.duration,
                           args.timeout, args.seed)
        if profiler is not None:
            measured["summary"]["profile"] = load_profile.finish(profiler, profile_file)
        entry = {"target": name, "label": target.label, "url": target.url, "servers": target.servers,
                 "customers": args.customers, "interval": args.interval, "duration": args.duration,
                 "summary": measured["summary"], "store": measured["store"]}
        if name != "starter":
            entry["verdicts"] = load_stats.verdicts(measured["summary"], measured["store"], args.customers,
                                                    args.interval)
        result["runs"].append(entry)
        rows.extend(csv_rows(name, "main", measured))
        print(load_stats.markdown_table([entry]), flush=True)
        print(f"    {load_cpu.render(measured['summary'].get('cpu'))[2:]}", flush=True)
        if "profile" in measured["summary"]:
            print(f"    {load_profile.render(measured['summary']['profile'])[2:]}", flush=True)
        for verdict in entry.get("verdicts", []):
            print(f"    {verdict}", flush=True)
        if args.max_rate and name in MAX_RATE_TARGETS:
            ladder = max_rate(target, run, args)
            for step in ladder["steps"]:
                rows.extend(csv_rows(name, step["phase"], step))
            result["max_rate"][target.label] = {
                "steps": [{k: v for k, v in s.items() if k not in ("records", "db_backed", "actions")}
                          for s in ladder["steps"]],
                "limit_reached": ladder["limit_reached"],
                "best": ({k: v for k, v in ladder["best"].items()
                          if k not in ("records", "db_backed", "actions")} if ladder["best"] else None),
            }
    finally:
        print(f"==> stopping {target.label}", flush=True)
        target.stop()


def parse_args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20, help="concurrent customers (default 20)")
    parser.add_argument("--interval", type=float, default=2.0,
                        help="mean pause between a customer's messages, seconds (default 2)")
    parser.add_argument("--duration", type=float, default=60.0,
                        help="measured seconds per target (default 60)")
    parser.add_argument("--targets", default=",".join(TARGETS),
                        help="comma-separated, among one, two, starter (default: all three)")
    parser.add_argument("--max-rate", action="store_true",
                        help="also find the highest rate with p95 <= 500 ms (targets one and starter)")
    parser.add_argument("--step-duration", type=float, default=30.0, help="seconds per max-rate step")
    parser.add_argument("--rate-start", type=float, default=5.0, help="first offered rate, messages/s")
    parser.add_argument("--rate-factor", type=float, default=1.5, help="rate multiplier between steps")
    parser.add_argument("--rate-limit", type=float, default=200.0, help="highest offered rate tried")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds before a request is an error")
    parser.add_argument("--no-warmup", dest="warmup", action="store_false", help="skip the warm-up")
    parser.add_argument("--seed", default="42", help="seed of the customers' choices")
    parser.add_argument("--model", type=Path, default=None,
                        help="Colibri's model (default: the newest in models/)")
    parser.add_argument("--keep", action="store_true", help="keep the throw-away databases")
    parser.add_argument("--profile", action="store_true",
                        help="sample Colibri's first Rasa server with py-spy while measuring")
    parser.add_argument("--retrain-starter", action="store_true", help="retrain the cached starter bot")
    parser.add_argument("--out", type=Path, default=OUT, help="output folder (default: results/bench)")
    args = parser.parse_args(argv)
    args.target_list = [t.strip() for t in args.targets.split(",") if t.strip()]
    unknown = [t for t in args.target_list if t not in TARGETS]
    if unknown or not args.target_list:
        parser.error(f"unknown target(s) {unknown}: choose among {', '.join(TARGETS)}")
    if args.customers < 1 or args.duration <= 0 or args.interval < 0:
        parser.error("--customers >= 1, --duration > 0 and --interval >= 0")
    return args


def main(argv: Optional[Sequence[str]] = None) -> int:
    from bench import load_targets

    args = parse_args(argv)
    run = uuid.uuid4().hex[:8]
    model = None
    if any(t != "starter" for t in args.target_list):
        model = args.model or load_targets.newest_model()
    result: Dict[str, Any] = {
        "run": run, "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "parameters": {"customers": args.customers, "interval": args.interval, "duration": args.duration,
                       "targets": args.target_list, "max_rate": args.max_rate,
                       "step_duration": args.step_duration, "rate_start": args.rate_start,
                       "rate_factor": args.rate_factor, "timeout": args.timeout, "seed": args.seed,
                       "model": str(model) if model else None},
        "machine": {"cpus": os.cpu_count(), "processor": load_cpu.processor(),
                    "python": platform.python_version(),
                    "load_before": [round(x, 2) for x in os.getloadavg()]},
        "runs": [], "max_rate": {}, "failures": {},
    }
    rows: List[Dict[str, Any]] = []
    shared = load_targets.Shared(run, load_targets.STATE / run)
    print(f"==> load benchmark {run}: targets {', '.join(args.target_list)}", flush=True)
    try:
        shared.start()
        for name in args.target_list:
            try:
                run_target(name, shared, model, args, run, result, rows)
            except Exception as error:  # one target failing must not lose the others' figures
                print(f"!! {name}: {error}", flush=True)
                traceback.print_exc()
                result["failures"][name] = str(error).splitlines()[0] if str(error) else type(error).__name__
    finally:
        shared.stop()
    result["machine"]["load_after"] = [round(x, 2) for x in os.getloadavg()]
    result["finished"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    markdown = render(result)
    write_outputs(args.out, result, rows, markdown)
    print()
    print(markdown)
    print(f"\nWritten: {args.out / 'load_summary.md'}, load_summary.json, load_messages.csv", flush=True)
    return 1 if result["failures"] and not result["runs"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
