"""Scope mapping inside the analysis: which catalogue item each ticket without one is about.

Tickets whose catalogue item was recorded in the source keep it (method "label"). The others
are mapped by each contract's keyword rules, then, on a full analysis, by a classifier trained
on the labelled tickets (``solidground.engine.scope``); what neither maps with confidence stays
unmapped. Contracts with the same catalogue (item codes and keywords) share one compiled rule
set, so thousands of contracts on the same catalogue cost one compilation.

A re-analysis of a few customers does not retrain the classifier (that takes seconds): it
applies the rules and keeps the classifier's mapping from the last full analysis for tickets
the rules leave unmapped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from solidground.engine.scope import (
    CatalogueRuleSpec,
    ScopeClassifier,
    compile_rules,
    match_rules,
    parse_keywords,
    ticket_text,
)
from solidground.insights.fetch import load_ticket_texts

# Enough labelled tickets to learn a catalogue's items; more only slows training down.
TRAINING_SAMPLE = 3_000
MIN_LABELLED = 50
SEED = 20250105

MAPPING_SCHEMA = {
    "ticket_id": pl.Int64,
    "item_id": pl.Int64,
    "method": pl.String,
    "keyword": pl.String,
    "confidence": pl.Float64,
}


@dataclass
class ScopeResult:
    """Per ticket without a recorded item: the item it was mapped to (or null) and how."""

    mapping: pl.DataFrame
    report: dict[str, Any] = field(default_factory=dict)


def _item_key(code: str, name: str) -> str:
    # The code names the same item across contracts; without one, the name does.
    return code or name


def _texts(tickets: pl.DataFrame) -> list[str]:
    return [
        ticket_text(subject or "", category or "", description or "")
        for subject, category, description in tickets.select(
            "subject", "category", "description"
        ).iter_rows()
    ]


def _rules(
    unlabelled: pl.DataFrame, items: pl.DataFrame
) -> tuple[list[int | None], list[str | None]]:
    """Keyword rules of each ticket's contract; one compiled rule set per distinct catalogue."""
    item_ids: list[int | None] = [None] * unlabelled.height
    keywords: list[str | None] = [None] * unlabelled.height
    by_contract: dict[int, list[tuple[str, str, int]]] = {}
    for row in items.sort("item_id").iter_rows(named=True):
        by_contract.setdefault(row["contract_id"], []).append(
            (_item_key(row["code"], row["name"]), row["keywords"] or "", row["item_id"])
        )
    signature_of: dict[int, tuple[tuple[str, str], ...]] = {}
    for contract, rows in by_contract.items():
        keys = [key for key, _, _ in rows]
        if len(set(keys)) != len(keys):
            # Two items share a code: keyed by id instead, so neither hides the other.
            rows = [(str(item), words, item) for _, words, item in rows]
            by_contract[contract] = rows
        signature_of[contract] = tuple((key, words) for key, words, _ in rows)
    compiled = {}
    positions: dict[tuple[tuple[str, str], ...], list[int]] = {}
    contracts = unlabelled["contract_id"].to_list()
    for index, contract in enumerate(contracts):
        if contract is None or contract not in signature_of:
            continue  # no contract, no catalogue: nothing to map against
        positions.setdefault(signature_of[contract], []).append(index)
    texts = unlabelled["text"].to_list()
    lookup = {
        contract: {key: item for key, _, item in rows} for contract, rows in by_contract.items()
    }
    for signature, indexes in positions.items():
        if signature not in compiled:
            compiled[signature] = compile_rules(
                [CatalogueRuleSpec(key, parse_keywords(words)) for key, words in signature]
            )
        matches = match_rules([texts[i] for i in indexes], compiled[signature])
        for i, match in zip(indexes, matches, strict=True):
            if match is None:
                continue
            item_ids[i] = lookup[contracts[i]][match.item_key]
            keywords[i] = match.keyword
    return item_ids, keywords


def _training_sample(tickets: pl.DataFrame, items: pl.DataFrame) -> pl.DataFrame:
    labelled = tickets.filter(pl.col("catalogue_item_id").is_not_null()).select(
        "ticket_id", pl.col("catalogue_item_id").alias("item_id")
    )
    if labelled.height > TRAINING_SAMPLE:
        labelled = labelled.sample(TRAINING_SAMPLE, seed=SEED)
    keyed = items.select("item_id", key=pl.struct("code", "name"))
    return labelled.join(keyed, on="item_id", how="inner").with_columns(
        key=pl.col("key").map_elements(
            lambda k: _item_key(k["code"], k["name"]), return_dtype=pl.String
        )
    )


def map_scope(
    tickets: pl.DataFrame,
    items: pl.DataFrame,
    *,
    train_classifier: bool,
    previous: pl.DataFrame | None = None,
) -> ScopeResult:
    """Map every ticket without a recorded catalogue item.

    ``tickets``: ticket_id, contract_id, catalogue_item_id (the loader's frame). ``items``:
    :func:`solidground.insights.fetch.items_query` for at least these tickets' contracts (the
    classifier learns from all labelled tickets in ``tickets``). ``previous``: stored
    mappings (ticket_id, item_id, method) whose classifier results are kept when the
    classifier is not trained in this run.
    """
    labelled = int(tickets["catalogue_item_id"].is_not_null().sum())
    unlabelled = tickets.filter(pl.col("catalogue_item_id").is_null()).select(
        "ticket_id", "contract_id"
    )
    report: dict[str, Any] = {
        "labelled": labelled,
        "unlabelled": unlabelled.height,
        "rule": 0,
        "classifier": 0,
        "unmapped": 0,
        "classifier_trained": False,
    }
    if unlabelled.height == 0:
        return ScopeResult(pl.DataFrame(schema=MAPPING_SCHEMA), report)
    texts = load_ticket_texts(unlabelled["ticket_id"].to_list())
    unlabelled = unlabelled.join(texts, on="ticket_id", how="left")
    unlabelled = unlabelled.with_columns(text=pl.Series(_texts(unlabelled), dtype=pl.String))
    item_ids, keywords = _rules(unlabelled, items)
    methods: list[str] = ["rule" if item is not None else "unmapped" for item in item_ids]
    confidences: list[float | None] = [None] * unlabelled.height
    rest = [i for i, item in enumerate(item_ids) if item is None]

    if rest and train_classifier and labelled >= MIN_LABELLED:
        _classify(tickets, items, unlabelled, rest, item_ids, methods, confidences, report)
    elif rest and previous is not None and previous.height:
        kept = previous.filter(pl.col("method") == "classifier")
        earlier = dict(zip(kept["ticket_id"].to_list(), kept["item_id"].to_list(), strict=True))
        ticket_ids = unlabelled["ticket_id"].to_list()
        for i in rest:
            item = earlier.get(ticket_ids[i])
            if item is not None:
                item_ids[i] = item
                methods[i] = "classifier"
    mapping = pl.DataFrame(
        {
            "ticket_id": unlabelled["ticket_id"],
            "item_id": pl.Series(item_ids, dtype=pl.Int64),
            "method": pl.Series(methods, dtype=pl.String),
            "keyword": pl.Series(keywords, dtype=pl.String),
            "confidence": pl.Series(confidences, dtype=pl.Float64),
        },
        schema=MAPPING_SCHEMA,
    )
    for method in ("rule", "classifier", "unmapped"):
        report[method] = int((mapping["method"] == method).sum())
    return ScopeResult(mapping, report)


def _nan_to_none(value: float) -> float | None:
    return None if math.isnan(value) else value


def _classify(
    tickets: pl.DataFrame,
    items: pl.DataFrame,
    unlabelled: pl.DataFrame,
    rest: list[int],
    item_ids: list[int | None],
    methods: list[str],
    confidences: list[float | None],
    report: dict[str, Any],
) -> None:
    """Train the classifier on the labelled tickets and map the ``rest`` that it is sure of
    (``item_ids``, ``methods`` and ``confidences`` are filled in place); its cross-validated
    precision and coverage go into ``report``. Too few labels: it declines, and says why."""
    sample = _training_sample(tickets, items)
    sample_texts = load_ticket_texts(sample["ticket_id"].to_list())
    sample = sample.join(sample_texts, on="ticket_id", how="inner")
    classifier = ScopeClassifier(seed=SEED)
    try:
        classifier.fit(_texts(sample), sample["key"].to_list())
    except ValueError as exc:
        # Too few labels per item: the classifier declines; tickets stay unmapped.
        report["classifier_error"] = str(exc)
        return
    assert classifier.report_ is not None
    cv = classifier.report_
    report.update(
        classifier_trained=True,
        training_tickets=cv.n,
        threshold=None if math.isinf(cv.threshold) else cv.threshold,
        target_precision=cv.target_precision,
        target_reached=cv.target_reached,
        precision=_nan_to_none(cv.precision),
        precision_low=_nan_to_none(cv.precision_interval[0]),
        precision_high=_nan_to_none(cv.precision_interval[1]),
        coverage=_nan_to_none(cv.coverage),
        skipped_labels=dict(cv.skipped_labels),
    )
    predicted, confidence = classifier.predict([unlabelled["text"][i] for i in rest])
    key_to_item = {
        (row["contract_id"], _item_key(row["code"], row["name"])): row["item_id"]
        for row in items.iter_rows(named=True)
    }
    contracts = unlabelled["contract_id"].to_list()
    for i, label, conf in zip(rest, predicted, confidence.tolist(), strict=True):
        confidences[i] = conf
        item = key_to_item.get((contracts[i], label)) if label is not None else None
        if item is not None:
            item_ids[i] = item
            methods[i] = "classifier"
