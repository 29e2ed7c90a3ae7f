"""NLU benchmark (issue 4, "Measured quality"): ``make bench-nlu``.

Usage: ``python -m bench.nlu [--skip-cv] [--skip-baselines]`` from the repository root
(``--config``, ``--data``, ``--heldout``, ``--out`` exist for trying a candidate pipeline).

1. Trains our pipeline (``config.yml``) on the NLU data in ``data/`` with ``rasa train nlu``
   and evaluates it on ``tests/nlu/heldout.yml`` (never trained on) with ``rasa test nlu``.
   The figures are read from Rasa's reports: ``intent_report.json`` (accuracy, macro-F1,
   recall of ``out_of_scope``; ``faq/...`` examples count as ``faq``, Rasa's intent level),
   ``intent_errors.json`` (confusion pairs), ``response_selection_report.json`` (faq
   sub-intents, when the held-out file has some) and one ``<Extractor>_report.json`` per
   entity extractor.
2. Two reference points on the same split: Rasa 3.6's default pipeline
   (``bench/configs/rasa_default.yml``) and TF-IDF (word and character n-grams) + logistic
   regression in scikit-learn, trained on the same examples (plain text, faq collapsed);
   its metrics come from ``sklearn.metrics`` with Rasa's convention (averages over the
   intents of the held-out file). Error-rate ratios say how many errors we make per
   error of each reference.
3. ``rasa test nlu --cross-validation`` on the training data (``BENCH_FOLDS``, default 5),
   reports and confusion matrix in ``results/bench/cross_validation/``. Rasa draws the
   folds from numpy's global random state; it is seeded (42) so that runs compare.
4. Writes ``results/bench/nlu_summary.json`` and ``results/bench/nlu_summary.md`` and prints
   the Markdown, then PASS/FAIL per target of the issue. Exit code 0 unless something broke.

Entities: Rasa reports each extractor separately; it has no report of the combined
extraction. Each entity's figures come from the extractor that owns it in our pipeline:
``RegexEntityExtractor`` for the four identifiers (deterministic, from the patterns of
``data/nlu/entities.yml``), ``DIETClassifier`` for ``product``; a pipeline without the
regex extractor (Rasa's default) falls back to DIET. Rasa scores entities per token.

Training times are the wall time of ``rasa train nlu`` (including Rasa's start-up, about
10 s) with Rasa's training cache disabled, so every run trains from scratch; they depend
on what else runs on the machine (the load average is recorded).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, classification_report
from sklearn.pipeline import FeatureUnion, Pipeline

ROOT = Path(__file__).resolve().parent.parent
OUR_CONFIG = ROOT / "config.yml"
DEFAULT_CONFIG = ROOT / "bench" / "configs" / "rasa_default.yml"
TRAINING_DATA = ROOT / "data"
HELDOUT = ROOT / "tests" / "nlu" / "heldout.yml"
DOMAIN = ROOT / "domain.yml"
OUT = ROOT / "results" / "bench"

MIN_HELDOUT_EXAMPLES = 300
OUT_OF_SCOPE = "out_of_scope"
RETRIEVAL_SEPARATOR = "/"
ENTITIES = ("order_id", "email", "tracking_number", "phone_number", "product")
IDENTIFIERS = ENTITIES[:4]
# Whose report gives an entity's figures: the first of these extractors that has one.
ENTITY_EXTRACTORS: Dict[str, Tuple[str, ...]] = {
    **{name: ("RegexEntityExtractor", "DIETClassifier") for name in IDENTIFIERS},
    "product": ("DIETClassifier", "RegexEntityExtractor"),
}
TARGET_INTENT_ACCURACY = 0.95
TARGET_IDENTIFIER_F1 = 0.97
TARGET_OOS_RECALL = 0.90
TOP_CONFUSIONS = 10

PIPELINE_LABELS = {
    "ours": "Colibri (`config.yml`)",
    "rasa_default": "Rasa 3.6 default pipeline",
    "tfidf_logreg": "TF-IDF word + char n-grams, logistic regression",
}
REFERENCE_NAMES = {
    "rasa_default": "Rasa's default pipeline",
    "tfidf_logreg": "the TF-IDF + logistic-regression baseline",
}
RASA_ENV = {
    "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "PYTHONWARNINGS": "ignore::DeprecationWarning",
    "RASA_MAX_CACHE_SIZE": "0",  # no training cache: cold training times, shared cache untouched
    "RASA_TELEMETRY_ENABLED": "false",
    "LOG_LEVEL": "INFO",  # the cross-validation means are only logged
}
# `rasa` with numpy's global random state seeded: Rasa's cross-validation folds then
# stay the same from one run to the next (StratifiedKFold(shuffle=True) without a seed).
SEEDED_RASA = (
    "import sys, numpy; numpy.random.seed(42); sys.argv[0] = 'rasa'; "
    "from rasa.__main__ import main; main()"
)
CV_LINE = re.compile(r"\b(train|test) (Accuracy|F1-score|Precision): ([0-9.]+|nan) \(([0-9.]+|nan)\)")


class BenchError(RuntimeError):
    """A step of the benchmark could not run (the command exits non-zero)."""


# --------------------------------------------------------------------------- pure helpers


def intent_label(name: Optional[str]) -> str:
    """The intent-level label: ``faq/delivery_time`` -> ``faq``; ``None`` -> ``""``."""
    return (name or "").split(RETRIEVAL_SEPARATOR, 1)[0]


def confusion_pairs(
    pairs: Iterable[Tuple[str, str]], top: int = TOP_CONFUSIONS
) -> List[Tuple[str, str, int]]:
    """The most frequent (true, predicted, count) among pairs where the two differ."""
    counts = Counter((true, predicted) for true, predicted in pairs if true != predicted)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [(true, predicted, count) for (true, predicted), count in ranked[:top]]


def pairs_from_rasa_errors(errors: Sequence[Dict[str, Any]]) -> List[Tuple[str, str]]:
    """(true, predicted) intents from Rasa's ``intent_errors.json``."""
    pairs = []
    for error in errors:
        predicted = (error.get("intent_prediction") or {}).get("name")
        pairs.append((intent_label(error["intent"]), intent_label(predicted) or "None"))
    return pairs


def intent_figures(report: Dict[str, Any]) -> Dict[str, Optional[float]]:
    """Accuracy, macro- and weighted F1, out-of-scope recall from a classification report.

    ``report`` is Rasa's ``intent_report.json`` or the same shape from ``sklearn``.
    """
    oos = report.get(OUT_OF_SCOPE)
    return {
        "accuracy": float(report["accuracy"]),
        "macro_f1": float(report["macro avg"]["f1-score"]),
        "weighted_f1": float(report["weighted avg"]["f1-score"]),
        "oos_recall": float(oos["recall"]) if isinstance(oos, dict) and oos.get("support") else None,
        "examples": int(report["macro avg"]["support"]),
    }


def entity_figures(reports: Dict[str, Dict[str, Any]]) -> Dict[str, Dict[str, Any]]:
    """Per-entity precision, recall, F1 and support, from the owning extractor's report.

    ``reports`` maps an extractor name to its ``<Extractor>_report.json``. Entities
    absent from every report (no example, never predicted) are left out.
    """
    figures: Dict[str, Dict[str, Any]] = {}
    for entity in ENTITIES:
        for extractor in ENTITY_EXTRACTORS[entity]:
            row = reports.get(extractor, {}).get(entity)
            if isinstance(row, dict):
                figures[entity] = {
                    "extractor": extractor,
                    "precision": float(row["precision"]),
                    "recall": float(row["recall"]),
                    "f1": float(row["f1-score"]),
                    "support": int(row["support"]),
                }
                break
    return figures


def mean_entity_f1(entities: Optional[Dict[str, Dict[str, Any]]]) -> Optional[float]:
    """Mean F1 over the entities that have examples, ``None`` when there are none."""
    scores = [row["f1"] for row in (entities or {}).values() if row["support"] > 0]
    return sum(scores) / len(scores) if scores else None


def response_figures(report: Optional[Dict[str, Any]]) -> Optional[Dict[str, float]]:
    """Accuracy and macro-F1 of the ResponseSelector on faq sub-intents, if evaluated."""
    if not report or "accuracy" not in report:
        return None
    return {
        "accuracy": float(report["accuracy"]),
        "macro_f1": float(report["macro avg"]["f1-score"]),
        "examples": int(report["macro avg"]["support"]),
    }


def error_ratio(ours: Optional[float], reference: Optional[float]) -> Optional[float]:
    """Our error rate divided by the reference's (``1 - score`` each); ``None`` if undefined."""
    if ours is None or reference is None or reference >= 1.0:
        return None
    return (1.0 - ours) / (1.0 - reference)


def describe_ratio(what: str, ratio: Optional[float], reference: str) -> str:
    """``our intent errors are 0.40× Rasa's default pipeline's (60 % fewer)``; ``what`` is plural."""
    if ratio is None:
        return f"{what}: no ratio ({reference} has none, or a figure is missing)"
    if abs(ratio - 1.0) < 0.005:
        trend = "as many"
    elif ratio < 1.0:
        trend = f"{(1.0 - ratio) * 100:.0f} % fewer"
    elif ratio < 2.0:
        trend = f"{(ratio - 1.0) * 100:.0f} % more"
    else:
        trend = f"{ratio:.1f} times as many"
    return f"our {what} are {ratio:.2f}× {reference}'s ({trend})"


def build_tfidf_logreg() -> Pipeline:
    """TF-IDF on words (1-2) and characters (2-5, within words), logistic regression.

    Standard settings, not tuned on the held-out file.
    """
    common = {"lowercase": True, "strip_accents": "unicode", "sublinear_tf": True}
    words = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), token_pattern=r"(?u)\b\w+\b", **common)
    features = FeatureUnion([
        ("words", words),
        ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), **common)),
    ])
    return Pipeline([("features", features), ("classifier", LogisticRegression(C=10.0, max_iter=5000))])


def evaluate_predictions(truth: Sequence[str], predicted: Sequence[str]) -> Dict[str, Any]:
    """A classification report shaped like Rasa's ``intent_report.json``, plus its figures.

    As in Rasa, the averages run over the labels of ``truth``.
    """
    labels = sorted(set(truth))
    report = classification_report(truth, predicted, labels=labels, output_dict=True, zero_division=0)
    report["accuracy"] = float(accuracy_score(truth, predicted))
    return {
        "report": report,
        "intent": intent_figures(report),
        "confusion_pairs": confusion_pairs(zip(truth, predicted, strict=True)),
    }


def run_tfidf_logreg(
    train: Tuple[Sequence[str], Sequence[str]], test: Tuple[Sequence[str], Sequence[str]]
) -> Dict[str, Any]:
    """Trains the baseline on ``(texts, intents)`` and evaluates it on the test pair."""
    model = build_tfidf_logreg()
    started = time.perf_counter()
    model.fit(list(train[0]), [intent_label(label) for label in train[1]])
    seconds = time.perf_counter() - started
    predicted = list(model.predict(list(test[0])))
    result = evaluate_predictions([intent_label(label) for label in test[1]], predicted)
    result.update(entities=None, entity_f1=None, response_selection=None, training_seconds=seconds)
    return result


def parse_cv_log(text: str) -> Dict[str, Any]:
    """Per-fold means and standard deviations of the test folds from Rasa's CV log.

    Returns ``{"intent": {"Accuracy": [mean, std], ...}, "entities": {extractor: {...}},
    "response_selection": {...}}``.
    """
    parsed: Dict[str, Any] = {"intent": {}, "entities": {}, "response_selection": {}}
    section: Dict[str, Any] = parsed["intent"]
    for line in text.splitlines():
        if "Intent evaluation results" in line:
            section = parsed["intent"]
        elif "Response Selection evaluation results" in line:
            section = parsed["response_selection"]
        elif "Entity extractor: " in line:
            extractor = line.split("Entity extractor: ", 1)[1].strip()
            section = parsed["entities"].setdefault(extractor, {})
        match = CV_LINE.search(line)
        if match and match.group(1) == "test":
            section[match.group(2)] = [float(match.group(3)), float(match.group(4))]
    return parsed


def check_targets(ours: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The issue's targets, measured on the held-out file: name, measured, threshold, passed."""
    entities = ours.get("entities") or {}
    checks = [("intent accuracy", ours["intent"]["accuracy"], TARGET_INTENT_ACCURACY)]
    checks += [
        (f"{name} entity F1", entities[name]["f1"] if entities.get(name, {}).get("support") else None,
         TARGET_IDENTIFIER_F1)
        for name in IDENTIFIERS
    ]
    checks.append(("out-of-scope recall", ours["intent"]["oos_recall"], TARGET_OOS_RECALL))
    return [
        {"target": name, "measured": value, "threshold": threshold,
         "passed": value is not None and value >= threshold}
        for name, value, threshold in checks
    ]


def verdict(target: Dict[str, Any]) -> str:
    """``PASS`` or ``FAIL`` for one entry of :func:`check_targets`."""
    return "PASS" if target["passed"] else "FAIL"


def _num(value: Optional[float], digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _duration(seconds: Optional[float]) -> str:
    if seconds is None:
        return "–"
    if seconds < 60:
        return f"{seconds:.1f} s"
    return f"{int(seconds // 60)} min {int(round(seconds % 60)):02d} s"


def render_markdown(summary: Dict[str, Any]) -> str:
    """The summary as Markdown tables (also what the command prints)."""
    pipelines: Dict[str, Dict[str, Any]] = summary["pipelines"]
    lines = [
        "# NLU benchmark (`make bench-nlu`)",
        "",
        f"Held-out file `{summary['heldout']['path']}`: {summary['heldout']['examples']} examples, never "
        f"trained on. Training data `{summary['training']['path']}`: {summary['training']['examples']} "
        f"examples. Run on {summary['started']} at commit {summary['git']['commit']}"
        f"{' with uncommitted changes to these inputs' if summary['git']['inputs_changed'] else ''}, "
        f"{_duration(summary.get('seconds'))}, load average {summary['load_average'][0]:.1f} at the start. "
        f"Every pipeline used the copy of the inputs in `{summary['inputs']}/`.",
        "",
        "## Comparison on the held-out file",
        "",
        "| pipeline | intent accuracy | macro-F1 | out-of-scope recall | entity F1 | training time |",
        "|---|---|---|---|---|---|",
    ]
    for name, result in pipelines.items():
        lines.append(
            f"| {PIPELINE_LABELS.get(name, name)} | {_num(result['intent']['accuracy'])} | "
            f"{_num(result['intent']['macro_f1'])} | {_num(result['intent']['oos_recall'])} | "
            f"{_num(result.get('entity_f1'))} | {_duration(result.get('training_seconds'))} |"
        )
    lines += [
        "",
        "Entity F1: mean over the contract's entities of the per-entity F1 below (Rasa scores "
        "entities per token); the TF-IDF baseline extracts no entity.",
        "",
    ]
    for reference, ratios in summary.get("ratios", {}).items():
        who = REFERENCE_NAMES.get(reference, reference)
        lines.append(f"- Against {who}: " + "; ".join([
            describe_ratio("intent errors", ratios["intent_errors"], who),
            describe_ratio("macro-F1 gaps (1 − F1)", ratios["macro_f1_shortfall"], who),
            describe_ratio("missed out-of-scope messages", ratios["oos_misses"], who),
        ]) + ".")
    ours = pipelines["ours"]
    lines += [
        "",
        "## Entities on the held-out file",
        "",
        "| entity | annotated tokens | extractor | precision | recall | F1 | Rasa default (DIET) F1 |",
        "|---|---|---|---|---|---|---|",
    ]
    default_entities = (pipelines.get("rasa_default") or {}).get("entities") or {}
    for entity in ENTITIES:
        row = (ours.get("entities") or {}).get(entity)
        other = default_entities.get(entity)
        if row is None:
            lines.append(f"| {entity} | 0 | – | – | – | – | – |")
            continue
        lines.append(
            f"| {entity} | {row['support']} | {row['extractor']} | {_num(row['precision'])} | "
            f"{_num(row['recall'])} | {_num(row['f1'])} | {_num(other['f1'] if other else None)} |"
        )
    lines += ["", "## FAQ sub-intents (ResponseSelector)", ""]
    selections = {name: r["response_selection"] for name, r in pipelines.items()
                  if r.get("response_selection")}
    if selections:
        lines += ["| pipeline | accuracy | macro-F1 | examples |", "|---|---|---|---|"]
        lines += [
            f"| {PIPELINE_LABELS.get(name, name)} | {_num(rs['accuracy'])} | {_num(rs['macro_f1'])} | "
            f"{rs['examples']} |"
            for name, rs in selections.items()
        ]
    else:
        lines.append("The held-out file has no `faq/...` examples yet: nothing to measure.")
    lines += ["", "## Top confusions on the held-out file (true → predicted, count)", ""]
    for name, result in pipelines.items():
        pairs = result.get("confusion_pairs") or []
        listed = ", ".join(f"{true} → {predicted} ({count})" for true, predicted, count in pairs)
        lines.append(f"- {PIPELINE_LABELS.get(name, name)}: {listed or 'none'}")
    cv = summary.get("cross_validation")
    lines += ["", "## Cross-validation on the training data", ""]
    if cv:
        intent = cv["per_fold"].get("intent", {})
        pooled = cv["pooled"]["intent"]
        acc, f1 = intent.get("Accuracy"), intent.get("F1-score")
        lines += [
            f"`rasa test nlu --cross-validation --folds {cv['folds']}` with `{summary['configs']['ours']}` "
            f"on `{summary['training']['path']}` ({pooled['examples']} examples), "
            f"{_duration(cv['seconds'])}; reports and `intent_confusion_matrix.png` in `{cv['out']}/`.",
            "",
            "| figure | value |",
            "|---|---|",
            f"| intent accuracy, mean ± std over the folds | {_num(acc[0] if acc else None)} ± "
            f"{_num(acc[1] if acc else None)} |",
            f"| intent weighted F1, mean ± std over the folds | {_num(f1[0] if f1 else None)} ± "
            f"{_num(f1[1] if f1 else None)} |",
            f"| intent accuracy, all folds pooled | {_num(pooled['accuracy'])} |",
            f"| intent macro-F1, all folds pooled | {_num(pooled['macro_f1'])} |",
            f"| out-of-scope recall, all folds pooled | {_num(pooled['oos_recall'])} |",
        ]
        lines += [
            f"| {entity} F1 ({row['extractor']}), pooled | {_num(row['f1'])} |"
            for entity, row in (cv["pooled"].get("entities") or {}).items()
        ]
        selection = cv["pooled"].get("response_selection")
        if selection:
            lines.append(f"| faq sub-intent accuracy, pooled | {_num(selection['accuracy'])} |")
    else:
        lines.append("Skipped (`--skip-cv`).")
    lines += ["", "## Targets of the issue (our pipeline, held-out file)", "",
              "| target | measured | threshold | result |", "|---|---|---|---|"]
    lines += [
        f"| {t['target']} | {_num(t['measured'])} | ≥ {t['threshold']:.2f} | {verdict(t)} |"
        for t in summary["targets"]
    ]
    return "\n".join(lines) + "\n"


def write_summary(summary: Dict[str, Any], out_dir: Path) -> Tuple[Path, Path]:
    """Writes ``nlu_summary.json`` and ``nlu_summary.md`` into ``out_dir``; returns both paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out_dir / "nlu_summary.json", out_dir / "nlu_summary.md"
    json_path.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    md_path.write_text(render_markdown(summary), encoding="utf-8")
    return json_path, md_path


# --------------------------------------------------------------------------- running Rasa


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def run_logged(command: List[str], log_path: Path) -> float:
    """Runs ``command`` from the repository root, output to ``log_path``; its wall time in s."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **RASA_ENV, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT),
                                                                                   os.environ.get("PYTHONPATH")]))}
    started = time.perf_counter()
    with log_path.open("w", encoding="utf-8") as log:
        code = subprocess.run(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                              check=False).returncode
    seconds = time.perf_counter() - started
    if code != 0:
        tail = "\n".join(log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-20:])
        raise BenchError(f"{' '.join(command[:4])}… exited with {code} (log: {_relative(log_path)}):\n{tail}")
    return seconds


def read_rasa_reports(report_dir: Path) -> Dict[str, Any]:
    """Our figures from the reports ``rasa test nlu`` wrote into ``report_dir``."""
    intent_report = _read_json(report_dir / "intent_report.json")
    if intent_report is None:
        raise BenchError(f"no intent_report.json in {_relative(report_dir)}")
    extractor_reports = {
        path.name[: -len("_report.json")]: _read_json(path)
        for path in sorted(report_dir.glob("*_report.json"))
        if path.name not in {"intent_report.json", "response_selection_report.json"}
    }
    entities = entity_figures(extractor_reports) or None
    errors = _read_json(report_dir / "intent_errors.json") or []
    return {
        "intent": intent_figures(intent_report),
        "entities": entities,
        "entity_f1": mean_entity_f1(entities),
        "response_selection": response_figures(_read_json(report_dir / "response_selection_report.json")),
        "confusion_pairs": confusion_pairs(pairs_from_rasa_errors(errors)),
    }


def bench_rasa_pipeline(name: str, config: Path, inputs: Dict[str, Path], out: Path) -> Dict[str, Any]:
    """Trains ``config`` with ``rasa train nlu``, evaluates it with ``rasa test nlu``.

    ``inputs`` holds the paths of ``data``, ``heldout`` and ``domain`` (see :func:`snapshot_inputs`).
    """
    data, heldout, domain = inputs["data"], inputs["heldout"], inputs["domain"]
    models, report_dir, logs = out / "models", out / "heldout" / name, out / "logs"
    shutil.rmtree(report_dir, ignore_errors=True)
    print(f"==> {name}: rasa train nlu --config {_relative(config)} --nlu {_relative(data)}", flush=True)
    seconds = run_logged(
        [sys.executable, "-m", "rasa", "train", "nlu", "--config", str(config), "--nlu", str(data),
         "--domain", str(domain), "--out", str(models), "--fixed-model-name", name, "--num-threads", "2"],
        logs / f"train_{name}.log",
    )
    print(f"    trained in {_duration(seconds)}; rasa test nlu --nlu {_relative(heldout)}", flush=True)
    run_logged(
        [sys.executable, "-m", "rasa", "test", "nlu", "--nlu", str(heldout), "--model",
         str(models / f"{name}.tar.gz"), "--domain", str(domain), "--out", str(report_dir)],
        logs / f"test_{name}.log",
    )
    result = read_rasa_reports(report_dir)
    result.update(training_seconds=seconds, reports=_relative(report_dir))
    return result


def run_cross_validation(config: Path, inputs: Dict[str, Path], folds: int, out: Path) -> Dict[str, Any]:
    """``rasa test nlu --cross-validation``: per-fold means from its log, pooled reports."""
    data, domain = inputs["data"], inputs["domain"]
    cv_dir = out / "cross_validation"
    shutil.rmtree(cv_dir, ignore_errors=True)
    cv_dir.mkdir(parents=True)
    log_path = cv_dir / "rasa_cross_validation.log"
    print(f"==> cross-validation: {folds} folds on {_relative(data)} with {_relative(config)}", flush=True)
    seconds = run_logged(
        [sys.executable, "-c", SEEDED_RASA, "test", "nlu", "--nlu", str(data), "--config", str(config),
         "--domain", str(domain), "--cross-validation", "--folds", str(folds), "--out", str(cv_dir)],
        log_path,
    )
    pooled = read_rasa_reports(cv_dir)
    per_fold = parse_cv_log(log_path.read_text(encoding="utf-8", errors="replace"))
    print(f"    done in {_duration(seconds)}", flush=True)
    return {"folds": folds, "seconds": seconds, "out": _relative(cv_dir), "per_fold": per_fold,
            "pooled": pooled}


def load_examples(path: Path) -> Tuple[List[str], List[str]]:
    """Texts (entity annotations stripped) and intents (``faq`` for its sub-intents) of the
    NLU examples in ``path``, a file or a folder like ``data/`` (only its NLU files)."""
    from rasa.shared.data import get_data_files, is_nlu_file
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.shared.nlu.training_data.training_data import TrainingData

    files = sorted(get_data_files([str(path)], is_nlu_file))
    data = TrainingData().merge(*(load_data(file) for file in files))
    examples = [m for m in data.intent_examples if m.get("text")]
    return [m.get("text") for m in examples], [intent_label(m.get("intent")) for m in examples]


def snapshot_inputs(data: Path, heldout: Path, configs: Dict[str, Path], out: Path) -> Dict[str, Path]:
    """Copies the data, held-out file, domain and configs to ``out/inputs``; their new paths.

    Others edit ``data/`` while the benchmark runs (20 minutes): every step reads these copies,
    so all pipelines see the same split.
    """
    inputs = out / "inputs"
    shutil.rmtree(inputs, ignore_errors=True)
    inputs.mkdir(parents=True)
    copies = {"data": inputs / "data", "heldout": inputs / heldout.name, "domain": inputs / DOMAIN.name}
    if data.is_dir():
        shutil.copytree(data, copies["data"])
    else:
        copies["data"].mkdir()
        copies["data"] = Path(shutil.copy2(data, copies["data"]))
    shutil.copy2(heldout, copies["heldout"])
    shutil.copy2(DOMAIN, copies["domain"])
    for name, config in configs.items():
        copies[name] = Path(shutil.copy2(config, inputs / f"config_{name}.yml"))
    return copies


def git_state(paths: Sequence[Path]) -> Dict[str, Any]:
    """The commit the inputs come from and whether ``paths`` differ from it."""
    def git(*args: str) -> str:
        completed = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
        return completed.stdout.strip() if completed.returncode == 0 else ""

    changes = git("status", "--porcelain", "--", *(str(path) for path in paths))
    return {"commit": git("rev-parse", "--short", "HEAD") or "unknown", "inputs_changed": bool(changes)}


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Runs the benchmark; 0 unless a step failed (a missed target is only reported)."""
    parser = argparse.ArgumentParser(prog="python -m bench.nlu", description=__doc__.splitlines()[0])
    parser.add_argument("--skip-cv", action="store_true", help="no cross-validation (saves ~20 min)")
    parser.add_argument("--skip-baselines", action="store_true", help="only our pipeline")
    parser.add_argument("--config", type=Path, default=OUR_CONFIG, help="our pipeline (default: config.yml)")
    parser.add_argument("--default-config", type=Path, default=DEFAULT_CONFIG, help="Rasa's default pipeline")
    parser.add_argument("--data", type=Path, default=TRAINING_DATA, help="training data (default: data)")
    parser.add_argument("--heldout", type=Path, default=HELDOUT, help="held-out NLU file")
    parser.add_argument("--out", type=Path, default=OUT, help="output folder (default: results/bench)")
    args = parser.parse_args(argv)
    try:
        folds = int(os.environ.get("BENCH_FOLDS", "5"))
        if folds < 2:
            raise ValueError
    except ValueError:
        print(f"BENCH_FOLDS must be an integer ≥ 2, not {os.environ['BENCH_FOLDS']!r}", file=sys.stderr)
        return 2

    started = time.perf_counter()
    configs = {"ours": args.config} if args.skip_baselines else {
        "ours": args.config, "rasa_default": args.default_config}
    summary: Dict[str, Any] = {
        "started": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "load_average": [round(load, 2) for load in os.getloadavg()],
        "configs": {name: _relative(path) for name, path in configs.items()},
        "targets": [],
    }
    try:
        for path in (*configs.values(), args.data, args.heldout, DOMAIN):
            if not path.exists():
                raise BenchError(f"{path} does not exist")
        summary["git"] = git_state([args.data, args.heldout, DOMAIN, *configs.values()])
        inputs = snapshot_inputs(args.data, args.heldout, configs, args.out)
        summary["inputs"] = _relative(args.out / "inputs")
        train_texts, train_labels = load_examples(inputs["data"])
        test_texts, test_labels = load_examples(inputs["heldout"])
        summary["training"] = {"path": _relative(args.data), "examples": len(train_texts)}
        summary["heldout"] = {"path": _relative(args.heldout), "examples": len(test_texts)}
        if len(test_texts) < MIN_HELDOUT_EXAMPLES:
            print(f"warning: the held-out file has {len(test_texts)} examples (< {MIN_HELDOUT_EXAMPLES})",
                  file=sys.stderr)
        overlap = set(train_texts) & set(test_texts)
        if overlap:
            print(f"warning: {len(overlap)} held-out texts are also training examples, "
                  f"e.g. {sorted(overlap)[:3]}", file=sys.stderr)
        summary["heldout"]["also_in_training"] = len(overlap)

        pipelines = {"ours": bench_rasa_pipeline("ours", inputs["ours"], inputs, args.out)}
        if not args.skip_baselines:
            pipelines["rasa_default"] = bench_rasa_pipeline(
                "rasa_default", inputs["rasa_default"], inputs, args.out)
            print("==> tfidf_logreg: scikit-learn on the same examples", flush=True)
            baseline = run_tfidf_logreg((train_texts, train_labels), (test_texts, test_labels))
            (args.out / "heldout").mkdir(parents=True, exist_ok=True)
            (args.out / "heldout" / "tfidf_logreg_report.json").write_text(
                json.dumps(baseline.pop("report"), indent=2) + "\n", encoding="utf-8")
            pipelines["tfidf_logreg"] = baseline
        summary["pipelines"] = pipelines
        ours = pipelines["ours"]["intent"]
        summary["ratios"] = {
            name: {
                "intent_errors": error_ratio(ours["accuracy"], result["intent"]["accuracy"]),
                "macro_f1_shortfall": error_ratio(ours["macro_f1"], result["intent"]["macro_f1"]),
                "oos_misses": error_ratio(ours["oos_recall"], result["intent"]["oos_recall"]),
            }
            for name, result in pipelines.items() if name != "ours"
        }
        summary["cross_validation"] = (
            None if args.skip_cv else run_cross_validation(inputs["ours"], inputs, folds, args.out))
    except BenchError as error:
        print(f"bench-nlu: {error}", file=sys.stderr)
        return 1

    summary["targets"] = check_targets(summary["pipelines"]["ours"])
    summary["seconds"] = time.perf_counter() - started
    json_path, md_path = write_summary(summary, args.out)
    print()
    print(render_markdown(summary))
    for target in summary["targets"]:
        print(f"{verdict(target)}  {target['target']}: {_num(target['measured'])} "
              f"(target ≥ {target['threshold']:.2f})")
    print(f"\nwritten: {_relative(json_path)}, {_relative(md_path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
