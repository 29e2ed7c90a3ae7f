"""The pure parts of the NLU benchmark (``bench/nlu.py``): no Rasa training here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict

import pytest

from bench import nlu


def _report(**rows: Dict[str, float]) -> Dict[str, Any]:
    """A classification report shaped like Rasa's ``intent_report.json``."""
    return {
        **rows,
        "accuracy": 0.9,
        "macro avg": {"precision": 0.8, "recall": 0.8, "f1-score": 0.85, "support": 40},
        "weighted avg": {"precision": 0.9, "recall": 0.9, "f1-score": 0.88, "support": 40},
        "micro avg": {"precision": 0.9, "recall": 0.9, "f1-score": 0.9, "support": 40},
    }


def test_intent_label_collapses_retrieval_intents() -> None:
    assert nlu.intent_label("faq/delivery_time") == "faq"
    assert nlu.intent_label("track_order") == "track_order"
    assert nlu.intent_label(None) == ""


def test_confusion_pairs_counts_only_errors_most_frequent_first() -> None:
    pairs = [("a", "a"), ("a", "b"), ("c", "b"), ("a", "b"), ("c", "b"), ("a", "b"), ("b", "a")]
    assert nlu.confusion_pairs(pairs) == [("a", "b", 3), ("c", "b", 2), ("b", "a", 1)]
    assert nlu.confusion_pairs(pairs, top=1) == [("a", "b", 3)]
    assert nlu.confusion_pairs([("a", "a")]) == []


def test_pairs_from_rasa_errors_reads_intent_errors_json() -> None:
    errors = [
        {"text": "bye les gars", "intent": "goodbye",
         "intent_prediction": {"name": "out_of_scope", "confidence": 0.6}},
        {"text": "délai ?", "intent": "faq", "intent_prediction": {"name": None, "confidence": None}},
    ]
    assert nlu.pairs_from_rasa_errors(errors) == [("goodbye", "out_of_scope"), ("faq", "None")]


def test_intent_figures_read_accuracy_macro_f1_and_out_of_scope_recall() -> None:
    report = _report(out_of_scope={"precision": 1.0, "recall": 0.75, "f1-score": 0.86, "support": 8})
    figures = nlu.intent_figures(report)
    assert figures == {"accuracy": 0.9, "macro_f1": 0.85, "weighted_f1": 0.88, "oos_recall": 0.75,
                       "examples": 40}
    assert nlu.intent_figures(_report())["oos_recall"] is None


def test_entity_figures_take_each_entity_from_its_extractor() -> None:
    regex = {"order_id": {"precision": 1.0, "recall": 1.0, "f1-score": 1.0, "support": 30},
             "product": {"precision": 0.0, "recall": 0.0, "f1-score": 0.0, "support": 20}}
    diet = {"order_id": {"precision": 0.8, "recall": 0.9, "f1-score": 0.85, "support": 30},
            "email": {"precision": 1.0, "recall": 0.5, "f1-score": 0.67, "support": 10},
            "product": {"precision": 0.9, "recall": 0.8, "f1-score": 0.85, "support": 20}}
    figures = nlu.entity_figures({"RegexEntityExtractor": regex, "DIETClassifier": diet})
    assert figures["order_id"] == {"extractor": "RegexEntityExtractor", "precision": 1.0, "recall": 1.0,
                                   "f1": 1.0, "support": 30}
    assert figures["email"]["extractor"] == "DIETClassifier"  # no regex report row: DIET's
    assert figures["product"]["extractor"] == "DIETClassifier"
    assert set(figures) == {"order_id", "email", "product"}
    assert nlu.mean_entity_f1(figures) == pytest.approx((1.0 + 0.67 + 0.85) / 3)
    assert nlu.mean_entity_f1(None) is None


def test_response_figures_only_when_rasa_evaluated_sub_intents() -> None:
    assert nlu.response_figures(None) is None
    assert nlu.response_figures({}) is None
    assert nlu.response_figures(_report()) == {"accuracy": 0.9, "macro_f1": 0.85, "examples": 40}


@pytest.mark.parametrize(
    ("ours", "reference", "expected"),
    [(0.97, 0.90, 0.3), (0.90, 0.90, 1.0), (0.80, 0.90, 2.0), (1.0, 0.9, 0.0), (0.9, 1.0, None),
     (None, 0.9, None)],
)
def test_error_ratio_divides_error_rates(ours: float, reference: float, expected: float) -> None:
    ratio = nlu.error_ratio(ours, reference)
    assert ratio == (None if expected is None else pytest.approx(expected))


def test_describe_ratio_says_fewer_or_more() -> None:
    assert nlu.describe_ratio("intent errors", 0.4, "X") == "our intent errors are 0.40× X's (60 % fewer)"
    more = nlu.describe_ratio("intent errors", 2.5, "X")
    assert more == "our intent errors are 2.50× X's (2.5 times as many)"
    assert nlu.describe_ratio("intent errors", 1.25, "X") == "our intent errors are 1.25× X's (25 % more)"
    assert nlu.describe_ratio("intent errors", 1.0, "X") == "our intent errors are 1.00× X's (as many)"
    assert "no ratio" in nlu.describe_ratio("intent errors", None, "X")


def test_tfidf_baseline_learns_a_tiny_dataset_and_collapses_faq() -> None:
    texts = ["bonjour", "salut", "bonsoir", "coucou", "où est mon colis", "ma commande n'arrive pas",
             "colis pas reçu", "suivi de livraison", "frais de livraison ?", "combien coûte la livraison",
             "délai de livraison ?", "quand vais-je être livré en général"]
    labels = ["greet"] * 4 + ["track_order"] * 4 + ["faq/delivery_cost"] * 2 + ["faq/delivery_time"] * 2
    result = nlu.run_tfidf_logreg((texts, labels), (["bonjour", "mon colis", "frais de livraison"],
                                                    ["greet", "track_order", "faq/delivery_cost"]))
    assert result["intent"]["accuracy"] == 1.0
    assert result["confusion_pairs"] == []
    assert set(result["report"]) >= {"greet", "track_order", "faq"}
    assert result["entities"] is None and result["training_seconds"] >= 0


def test_evaluate_predictions_averages_over_the_true_labels_like_rasa() -> None:
    result = nlu.evaluate_predictions(["a", "a", "b", "out_of_scope"], ["a", "c", "b", "a"])
    assert result["intent"]["accuracy"] == 0.5
    assert result["intent"]["oos_recall"] == 0.0
    assert "c" not in result["report"]  # predicted-only labels do not count in the averages
    assert result["intent"]["macro_f1"] == pytest.approx((0.5 + 1.0 + 0.0) / 3)
    assert result["confusion_pairs"] == [("a", "c", 1), ("out_of_scope", "a", 1)]


def test_parse_cv_log_keeps_test_means_per_section() -> None:
    log = "\n".join([
        "2026-11-23 12:00:00 INFO     rasa.model_testing  - CV evaluation (n=5)",
        "2026-11-23 12:00:00 INFO     rasa.model_testing  - Intent evaluation results",
        "2026-11-23 12:00:00 INFO     rasa.nlu.test  - train Accuracy: 1.000 (0.000)",
        "2026-11-23 12:00:00 INFO     rasa.nlu.test  - test Accuracy: 0.951 (0.012)",
        "2026-11-23 12:00:00 INFO     rasa.nlu.test  - test F1-score: 0.949 (0.010)",
        "2026-11-23 12:00:00 INFO     rasa.model_testing  - Entity evaluation results",
        "2026-11-23 12:00:00 INFO     rasa.nlu.test  - Entity extractor: DIETClassifier",
        "2026-11-23 12:00:00 INFO     rasa.nlu.test  - test F1-score: 0.990 (0.004)",
        "2026-11-23 12:00:00 INFO     rasa.model_testing  - Response Selection evaluation results",
        "2026-11-23 12:00:00 INFO     rasa.nlu.test  - test Accuracy: 0.880 (0.030)",
    ])
    parsed = nlu.parse_cv_log(log)
    assert parsed["intent"] == {"Accuracy": [0.951, 0.012], "F1-score": [0.949, 0.010]}
    assert parsed["entities"] == {"DIETClassifier": {"F1-score": [0.990, 0.004]}}
    assert parsed["response_selection"] == {"Accuracy": [0.880, 0.030]}


def _ours(accuracy: float, oos: float, order_f1: float) -> Dict[str, Any]:
    entities = {name: {"extractor": "RegexEntityExtractor", "precision": 1.0, "recall": 1.0, "f1": 1.0,
                       "support": 5} for name in nlu.IDENTIFIERS}
    entities["order_id"]["f1"] = order_f1
    del entities["tracking_number"]
    return {"intent": {"accuracy": accuracy, "macro_f1": 0.9, "weighted_f1": 0.9, "oos_recall": oos,
                       "examples": 300},
            "entities": entities, "entity_f1": 0.98, "response_selection": None,
            "confusion_pairs": [("goodbye", "out_of_scope", 2)], "training_seconds": 150.0}


def test_check_targets_pass_fail_and_missing_measure() -> None:
    results = {t["target"]: t["passed"] for t in nlu.check_targets(_ours(0.96, 0.85, 0.96))}
    assert results == {"intent accuracy": True, "order_id entity F1": False, "email entity F1": True,
                       "tracking_number entity F1": False, "phone_number entity F1": True,
                       "out-of-scope recall": False}


def test_write_summary_writes_json_and_markdown(tmp_path: Path) -> None:
    ours = _ours(0.97, 0.95, 1.0)
    summary = {
        "started": "2026-11-23 12:00 UTC", "seconds": 1000.0, "load_average": [1.0, 1.0, 1.0],
        "git": {"commit": "abc1234", "inputs_changed": False}, "inputs": "results/bench/inputs",
        "configs": {"ours": "config.yml"},
        "training": {"path": "data", "examples": 1300}, "heldout": {"path": "tests/nlu/heldout.yml",
                                                                      "examples": 340},
        "pipelines": {"ours": ours, "tfidf_logreg": {**_ours(0.94, 0.9, 1.0), "entities": None,
                                                     "entity_f1": None, "training_seconds": 2.0}},
        "ratios": {"tfidf_logreg": {"intent_errors": 0.5, "macro_f1_shortfall": 1.0, "oos_misses": 0.5}},
        "cross_validation": None,
        "targets": nlu.check_targets(ours),
    }
    json_path, md_path = nlu.write_summary(summary, tmp_path / "bench")
    written = json.loads(json_path.read_text(encoding="utf-8"))
    assert written["pipelines"]["ours"]["intent"]["accuracy"] == 0.97
    markdown = md_path.read_text(encoding="utf-8")
    assert "| Colibri (`config.yml`) | 0.970 | 0.900 | 0.950 | 0.980 | 2 min 30 s |" in markdown
    assert "our intent errors are 0.50× the TF-IDF + logistic-regression baseline's (50 % fewer)" in markdown
    assert "goodbye → out_of_scope (2)" in markdown
    assert "| tracking_number | 0 | – |" in markdown
    assert "| tracking_number entity F1 | – | ≥ 0.97 | FAIL |" in markdown
    assert "Skipped (`--skip-cv`)." in markdown
