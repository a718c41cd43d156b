"""Scope mapping: which catalogue item a ticket is about, or honestly "unmapped".

Two ways to map a ticket, tried in this order (``map_tickets``):

1. **Keyword rules** per catalogue item (German and English). The text and the keywords are
   folded the same way (lower case, ä→ae, ö→oe, ü→ue, ß→ss), and a keyword matches at the
   *start of a word*, so ``drucker`` finds "Drucker", "Druckerinstallation" and "Druckertreiber".
   A small syntax covers the rest of German compounding and short acronyms:

   - ``drucker``: any word that starts with it (the default);
   - ``*drucker``: anywhere inside a word too ("Netzwerkdrucker", "Laserdruckertreiber");
   - ``"ad"`` (in double quotes): the whole word only, so "AD" but not "Admin" or "Adresse";
   - a space or hyphen in a keyword stands for any (or no) separator, so ``e mail`` finds "E-Mail",
     "e mail" and "Email", and ``drucker einrichten`` finds "Drucker-Einrichten".

   Each item scores the number of its distinct keywords found in the text. The item with the
   highest score wins; when no item or several items share the highest score the rule result is
   ``None`` (ambiguous tickets are left to the classifier or stay unmapped, never picked by list
   order). The text is read left to right and the longest keyword at each place is taken, so a
   phrase ("drucker einrichten") beats a shorter keyword it begins with ("drucker").

2. **A classifier** trained on the provider's own labelled tickets: TF-IDF word 1-2 grams and
   character 3-5 grams within words (robust to German compounds and typos), a linear SVM, and
   sigmoid calibration (``CalibratedClassifierCV``) so that confidences are probabilities. A
   prediction under the confidence threshold is ``None``: unmapped, never guessed. The threshold
   is the lowest one at which cross-validated predictions reach the target precision (default
   0.9) on at least 3 / (1 - target) tickets, and never below ``min_threshold`` (default 0.5,
   "more likely right than wrong"), because cross-validation only sees the kinds of tickets
   that were labelled, not the unrelated ones that will also arrive.

Catalogues belong to contracts: the caller compiles one rule set per contract (or per catalogue
shared by contracts) and passes each contract's tickets to it. Item keys are opaque strings; the
classifier's labels should be keys that mean the same item across contracts (a catalogue code).

This module never imports Django; ``solidground.insights`` feeds it plain strings. The keyword
rules live in ``scope_rules``, the classifier in ``scope_classifier``; this module puts them
together (``map_tickets``), and every name of theirs is importable from here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import polars as pl

from solidground.engine.scope_classifier import (
    DEFAULT_SEED,
    LabelScore,
    ScopeClassifier,
    ScopeReport,
)
from solidground.engine.scope_rules import (
    CatalogueRuleSpec,
    KeywordRule,
    RuleMatch,
    RuleSet,
    compile_rules,
    explain_rules,
    match_rules,
    normalise_text,
    parse_keywords,
    ticket_text,
)

__all__ = [
    "DEFAULT_SEED",
    "CatalogueRuleSpec",
    "KeywordRule",
    "LabelScore",
    "RuleMatch",
    "RuleSet",
    "ScopeClassifier",
    "ScopeReport",
    "compile_rules",
    "explain_rules",
    "map_tickets",
    "match_rules",
    "normalise_text",
    "parse_keywords",
    "ticket_text",
]

MappingMethod = Literal["rule", "classifier", "unmapped"]


# --------------------------------------------------------------------------------------------
# Both together
# --------------------------------------------------------------------------------------------


def map_tickets(
    texts: Sequence[str], rules: RuleSet | None, classifier: ScopeClassifier | None = None
) -> pl.DataFrame:
    """Map tickets: keyword rule first, else the classifier if confident, else unmapped.

    Returns one row per text, in order, with ``item_key`` (null when unmapped), ``method``
    ("rule", "classifier" or "unmapped"), ``keyword`` (the rule's keyword) and ``confidence``
    (the classifier's, null where it was not asked).
    """
    matches: list[RuleMatch | None] = (
        match_rules(texts, rules) if rules is not None else [None] * len(texts)
    )
    item_keys: list[str | None] = [m.item_key if m else None for m in matches]
    keywords: list[str | None] = [m.keyword if m else None for m in matches]
    methods: list[MappingMethod] = ["rule" if m else "unmapped" for m in matches]
    confidences: list[float | None] = [None] * len(texts)
    if classifier is not None:
        rest = [i for i, match in enumerate(matches) if match is None]
        predicted, confidence = classifier.predict([texts[i] for i in rest])
        for i, label, conf in zip(rest, predicted, confidence.tolist(), strict=True):
            confidences[i] = conf
            if label is not None:
                item_keys[i] = label
                methods[i] = "classifier"
    return pl.DataFrame(
        {"item_key": item_keys, "method": methods, "keyword": keywords, "confidence": confidences},
        schema={
            "item_key": pl.String,
            "method": pl.Enum(["rule", "classifier", "unmapped"]),
            "keyword": pl.String,
            "confidence": pl.Float64,
        },
    )
