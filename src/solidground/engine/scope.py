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

This module never imports Django; ``solidground.insights`` feeds it plain strings.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import polars as pl
from numpy.typing import NDArray

from solidground.engine.stats import share, wilson_interval

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

DEFAULT_SEED = 20250105
"""Seed of every random step (fold assignment, SVM solver) unless the caller gives another."""

MappingMethod = Literal["rule", "classifier", "unmapped"]

# --------------------------------------------------------------------------------------------
# Text normalisation (shared by the rules and the classifier)
# --------------------------------------------------------------------------------------------

# casefold() already turns ß and ẞ into "ss"; the umlauts are folded to their two-letter
# spelling so that "Passwoerter" typed on an English keyboard and "Passwörter" are one word.
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})


def normalise_text(text: str) -> str:
    """Fold ``text`` for matching: lower case, umlauts as ae/oe/ue, ß as ss.

    >>> normalise_text("Drucker-Einrichtung für Müller GROẞ")
    'drucker-einrichtung fuer mueller gross'
    """
    if text.isascii():  # the common case, and ten times faster than the Unicode path
        return text.lower()
    # NFC first: text pasted from macOS mail may carry "a" + combining diaeresis for "ä".
    return unicodedata.normalize("NFC", text).casefold().translate(_UMLAUTS)


def ticket_text(subject: str, category: str = "", description: str = "", limit: int = 500) -> str:
    """The text a ticket is mapped by: subject, category and the start of the description.

    Only the first ``limit`` characters of the description are used: signatures, quoted mail
    history and disclaimers further down mention every topic under the sun.
    """
    parts = (subject.strip(), category.strip(), description.strip()[:limit])
    return "\n".join(part for part in parts if part)


# --------------------------------------------------------------------------------------------
# Keyword rules
# --------------------------------------------------------------------------------------------

KeywordKind = Literal["prefix", "infix", "word"]


@dataclass(frozen=True, slots=True)
class CatalogueRuleSpec:
    """Keywords of one catalogue item. ``item_key`` is a stable id (code or primary key)."""

    item_key: str
    keywords: Sequence[str]


@dataclass(frozen=True, slots=True)
class RuleMatch:
    """The item a rule mapped a ticket to, and the first of its keywords found (as written)."""

    item_key: str
    keyword: str


@dataclass(frozen=True, slots=True)
class _Keyword:
    written: str  # as the catalogue has it, for explanations
    compact: str  # folded, separators removed: the lookup key of a regex hit
    kind: KeywordKind
    parts: tuple[str, ...]  # folded words between separators


@dataclass(frozen=True, slots=True)
class KeywordRule:
    """The parsed keywords of one catalogue item."""

    item_key: str
    keywords: tuple[_Keyword, ...]

    @property
    def written_keywords(self) -> tuple[str, ...]:
        return tuple(keyword.written for keyword in self.keywords)


@dataclass(frozen=True, slots=True)
class _Entry:
    item_index: int
    keyword: _Keyword


@dataclass(frozen=True, slots=True)
class RuleSet:
    """Compiled keyword rules: one regular expression for all items (see ``compile_rules``)."""

    rules: tuple[KeywordRule, ...]
    pattern: re.Pattern[str] | None
    # compact keyword -> every (item, keyword) it stands for; several items may share a keyword.
    lookup: Mapping[str, tuple[_Entry, ...]] = field(repr=False)

    @property
    def item_keys(self) -> tuple[str, ...]:
        return tuple(rule.item_key for rule in self.rules)


_SEPARATORS = re.compile(r"[\W_]+")
_SEP = "\x00"  # trie token for "any or no separator" inside a phrase


def parse_keywords(field_text: str) -> tuple[str, ...]:
    """Split a catalogue item's keyword field (comma, semicolon or line separated).

    >>> parse_keywords('Drucker, printer; *scanner\\n"AD"')
    ('Drucker', 'printer', '*scanner', '"AD"')
    """
    return tuple(part.strip() for part in re.split(r"[,;\n]", field_text) if part.strip())


def _parse_keyword(written: str, item_key: str) -> _Keyword | None:
    text = written.strip()
    kind: KeywordKind = "prefix"
    if len(text) >= 2 and text[0] == text[-1] == '"':
        kind, text = "word", text[1:-1]
    elif text.startswith("*"):
        kind, text = "infix", text.lstrip("*")
    text = text.rstrip("*")  # "drucker*" means what "drucker" means already
    parts = tuple(part for part in _SEPARATORS.split(normalise_text(text)) if part)
    if not parts:
        if written.strip():
            raise ValueError(
                f"Catalogue item {item_key!r}: keyword {written!r} has no letters or digits; "
                "remove it or write the word it should find."
            )
        return None
    return _Keyword(written=written.strip(), compact="".join(parts), kind=kind, parts=parts)


def compile_rules(items: Sequence[CatalogueRuleSpec]) -> RuleSet:
    """Parse every item's keywords and compile them into one regular expression.

    The expression is a trie of all keywords (``\\b(?:dr(?:ucker|...)|...)``), so matching costs
    about the same for ten keywords as for a thousand. Items without keywords are kept (they
    never match). Raises ``ValueError`` for a duplicate item key or a keyword without letters.
    """
    rules: list[KeywordRule] = []
    seen: set[str] = set()
    lookup: dict[str, list[_Entry]] = {}
    word_start: list[_Keyword] = []
    inside: list[_Keyword] = []
    for spec in items:
        if spec.item_key in seen:
            raise ValueError(
                f"Catalogue item key {spec.item_key!r} appears twice; each item needs its own key."
            )
        seen.add(spec.item_key)
        parsed: list[_Keyword] = []
        for written in spec.keywords:
            keyword = _parse_keyword(written, spec.item_key)
            if keyword is None or any(
                k.compact == keyword.compact and k.kind == keyword.kind for k in parsed
            ):
                continue
            parsed.append(keyword)
            lookup.setdefault(keyword.compact, []).append(_Entry(len(rules), keyword))
            (inside if keyword.kind == "infix" else word_start).append(keyword)
        rules.append(KeywordRule(item_key=spec.item_key, keywords=tuple(parsed)))

    alternatives = []
    if word_start:
        alternatives.append(r"\b(?:" + _trie_regex(word_start) + ")")
    if inside:
        alternatives.append("(?:" + _trie_regex(inside) + ")")
    pattern = re.compile("|".join(alternatives)) if alternatives else None
    return RuleSet(
        rules=tuple(rules),
        pattern=pattern,
        lookup={key: tuple(entries) for key, entries in lookup.items()},
    )


_Trie = dict[str, "_Trie"]
_END = ""  # trie key: a prefix or infix keyword ends here
_WORD_END = "\\b"  # trie key: a whole-word keyword ends here


def _trie_regex(keywords: Iterable[_Keyword]) -> str:
    """A regex matching any of ``keywords``, factored by common prefixes.

    Whole-word keywords end in ``\\b``; a keyword that ends where a longer one goes on becomes
    an optional (greedy) tail, so the longest keyword at a place wins.
    """
    trie: _Trie = {}
    for keyword in keywords:
        node = trie
        for token in _SEP.join(keyword.parts):
            node = node.setdefault(token, {})
        if keyword.kind == "word":
            if _END not in node:  # a prefix keyword ending here already covers the whole word
                node[_WORD_END] = {}
        else:
            node.pop(_WORD_END, None)
            node[_END] = {}
    return _emit(trie)


def _emit(node: _Trie) -> str:
    branches = [
        (r"[\W_]*" if token == _SEP else re.escape(token)) + _emit(child)
        for token, child in sorted(node.items())
        if token not in (_END, _WORD_END)
    ]
    if _WORD_END in node:
        branches.append(r"\b")  # after the longer keywords: greedy, the longest wins
    if _END in node:
        return "(?:" + "|".join(branches) + ")?" if branches else ""
    return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"


def _hits(text: str, rules: RuleSet) -> dict[int, list[_Keyword]]:
    """Item index -> its distinct keywords found in ``text``, in text order."""
    found: dict[int, list[_Keyword]] = {}
    if rules.pattern is None or not text:
        return found
    folded = normalise_text(text)
    for hit in rules.pattern.finditer(folded):
        start, end = hit.span()
        entries = rules.lookup.get(_SEPARATORS.sub("", hit.group()))
        if entries is None:  # cannot happen for a well-formed trie; never guess
            continue
        at_word_start = start == 0 or not _is_word_char(folded[start - 1])
        at_word_end = end == len(folded) or not _is_word_char(folded[end])
        credited: set[int] = set()  # one place in the text counts once per item
        for entry in entries:
            kind = entry.keyword.kind
            if (kind != "infix" and not at_word_start) or (kind == "word" and not at_word_end):
                continue
            if entry.item_index in credited:
                continue
            credited.add(entry.item_index)
            keywords = found.setdefault(entry.item_index, [])
            if entry.keyword not in keywords:
                keywords.append(entry.keyword)
    return found


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"  # what \b and \w mean in a str pattern


def _decide(found: Mapping[int, Sequence[_Keyword]], rules: RuleSet) -> RuleMatch | None:
    if not found:
        return None
    best = max(len(keywords) for keywords in found.values())
    winners = [index for index, keywords in found.items() if len(keywords) == best]
    if len(winners) != 1:
        return None  # a tie between items: ambiguous, left unmapped
    index = winners[0]
    return RuleMatch(item_key=rules.rules[index].item_key, keyword=found[index][0].written)


def match_rules(texts: Sequence[str], rules: RuleSet) -> list[RuleMatch | None]:
    """Map each text by keywords; ``None`` when no item or several items match equally."""
    return [_decide(_hits(text, rules), rules) for text in texts]


def explain_rules(text: str, rules: RuleSet) -> dict[str, list[str]]:
    """Every item whose keywords occur in ``text``, with those keywords (as written).

    For the review screen: shows why a ticket was mapped, or why it was ambiguous.
    """
    return {
        rules.rules[index].item_key: [keyword.written for keyword in keywords]
        for index, keywords in _hits(text, rules).items()
    }


# --------------------------------------------------------------------------------------------
# Classifier
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LabelScore:
    """Cross-validated figures for one label (catalogue item).

    ``precision``: of the tickets mapped to this item, the share that belonged to it.
    ``recall``: of this item's tickets, the share mapped to it. ``coverage``: of this item's
    tickets, the share mapped at all (rightly or wrongly). ``learned`` is False for items with
    too few examples: their tickets are still scored, and any mapping of them counts as wrong.
    """

    label: str
    n: int
    learned: bool
    precision: float
    recall: float
    coverage: float


@dataclass(frozen=True, slots=True)
class ScopeReport:
    """What cross-validation says about the classifier on the provider's labelled tickets.

    ``precision``, ``recall`` and ``coverage`` are measured at thresholds chosen without the
    tickets being scored (each fold's threshold comes from the other folds' predictions), so
    they are honest estimates of what ``predict`` will do on new tickets like these.
    ``threshold`` is the one chosen from all folds together: the one a fitted classifier uses.
    """

    seed: int
    folds: int
    target_precision: float
    threshold: float
    target_reached: bool
    n: int
    precision: float
    precision_interval: tuple[float, float]
    recall: float
    coverage: float
    accuracy_without_threshold: float
    per_label: tuple[LabelScore, ...]
    skipped_labels: Mapping[str, int]

    def __repr__(self) -> str:
        low, high = self.precision_interval
        skipped = dict(self.skipped_labels)
        return (
            f"ScopeReport(seed={self.seed}, folds={self.folds}, "
            f"target_precision={self.target_precision:.2f}, threshold={self.threshold:.3f}, "
            f"target_reached={self.target_reached}, n={self.n}, "
            f"precision={self.precision:.3f} [95% {low:.3f}-{high:.3f}], "
            f"recall={self.recall:.3f}, coverage={self.coverage:.3f}, "
            f"accuracy_without_threshold={self.accuracy_without_threshold:.3f}, "
            f"labels={sum(score.learned for score in self.per_label)}, skipped={skipped})"
        )

    def to_frame(self) -> pl.DataFrame:
        """Per-label figures as a frame (one row per label, learned or not)."""
        return pl.DataFrame(
            {
                "label": [s.label for s in self.per_label],
                "n": [s.n for s in self.per_label],
                "learned": [s.learned for s in self.per_label],
                "precision": [s.precision for s in self.per_label],
                "recall": [s.recall for s in self.per_label],
                "coverage": [s.coverage for s in self.per_label],
            },
            schema={
                "label": pl.String,
                "n": pl.Int64,
                "learned": pl.Boolean,
                "precision": pl.Float64,
                "recall": pl.Float64,
                "coverage": pl.Float64,
            },
        )


_PREDICT_CHUNK = 20_000  # bounds the memory of the sparse feature matrix when predicting


class ScopeClassifier:
    """Maps ticket texts to catalogue items learned from the provider's labelled tickets.

    Usage (lifelines style: ``fit`` returns self and leaves its results in attributes)::

        classifier = ScopeClassifier().fit(texts, labels)
        classifier.report_            # cross-validated precision, coverage, threshold
        items, confidences = classifier.predict(new_texts)   # None = unmapped

    ``fit`` cross-validates first, to choose the threshold, then trains on all labelled tickets.
    Labels with fewer than ``min_examples_per_label`` tickets are not learned (``skipped_labels_``).
    ``threshold`` fixes the confidence threshold instead of choosing it.
    """

    def __init__(
        self,
        *,
        target_precision: float = 0.9,
        min_threshold: float = 0.5,
        min_examples_per_label: int = 5,
        folds: int = 5,
        seed: int = DEFAULT_SEED,
        threshold: float | None = None,
    ) -> None:
        if not 0.0 < target_precision < 1.0:
            raise ValueError(f"target_precision must be in (0, 1), got {target_precision}.")
        if not 0.0 <= min_threshold <= 1.0:
            raise ValueError(f"min_threshold must be in [0, 1], got {min_threshold}.")
        if threshold is not None and not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold must be in [0, 1], got {threshold}.")
        if min_examples_per_label < 4:
            raise ValueError(
                f"min_examples_per_label must be at least 4 (got {min_examples_per_label}): "
                "fewer cannot be both cross-validated and calibrated."
            )
        _check_folds(folds, min_examples_per_label)
        self.target_precision = target_precision
        self.min_threshold = min_threshold
        self.min_examples_per_label = min_examples_per_label
        self.folds = folds
        self.seed = seed
        self.threshold = threshold
        # Results of fit(); None until then.
        self.labels_: tuple[str, ...] | None = None
        self.n_examples_: dict[str, int] | None = None
        self.skipped_labels_: dict[str, int] | None = None
        self.threshold_: float | None = None
        self.report_: ScopeReport | None = None
        self._model: Any = None  # a scikit-learn Pipeline (no type stubs)

    def __repr__(self) -> str:
        state = "unfitted" if self.report_ is None else f"threshold_={self.threshold_:.3f}"
        return (
            f"ScopeClassifier(target_precision={self.target_precision}, "
            f"min_threshold={self.min_threshold}, "
            f"min_examples_per_label={self.min_examples_per_label}, folds={self.folds}, "
            f"seed={self.seed}, threshold={self.threshold}; {state})"
        )

    # -- training ---------------------------------------------------------------------------

    def fit(self, texts: Sequence[str], labels: Sequence[str | None]) -> ScopeClassifier:
        """Cross-validate to choose the threshold, then train on all labelled tickets.

        Tickets without a label (``None`` or "") or without text are ignored.
        Raises ``ValueError`` when fewer than two labels have enough examples.
        """
        report = self.cross_validate(texts, labels, folds=self.folds, seed=self.seed)
        train_texts, train_labels, counts = _usable(texts, labels)
        learned = {label for label, n in counts.items() if n >= self.min_examples_per_label}
        keep = [i for i, label in enumerate(train_labels) if label in learned]
        self._model = _train(
            [train_texts[i] for i in keep], [train_labels[i] for i in keep], self.seed
        )
        self.labels_ = tuple(sorted(learned))
        self.n_examples_ = dict(sorted(counts.items()))
        self.skipped_labels_ = dict(report.skipped_labels)
        self.threshold_ = report.threshold if self.threshold is None else self.threshold
        self.report_ = report
        return self

    def cross_validate(
        self,
        texts: Sequence[str],
        labels: Sequence[str | None],
        folds: int | None = None,
        seed: int | None = None,
    ) -> ScopeReport:
        """Cross-validated precision, recall and coverage, and the threshold they lead to.

        Does not change the classifier. Folds are stratified by label and shuffled with ``seed``
        (default: the classifier's), so the same data and seed give the same report.
        """
        folds = self.folds if folds is None else folds
        seed = self.seed if seed is None else seed
        _check_folds(folds, self.min_examples_per_label)
        train_texts, train_labels, counts = _usable(texts, labels)
        learned = sorted(label for label, n in counts.items() if n >= self.min_examples_per_label)
        skipped = {
            label: n for label, n in sorted(counts.items()) if n < self.min_examples_per_label
        }
        _check_enough_labels(learned, counts, self.min_examples_per_label)

        y = np.array(train_labels, dtype=object)
        fold_of = _assign_folds(y, set(learned), folds, seed)
        predicted = np.empty(len(y), dtype=object)
        confidence = np.zeros(len(y), dtype=np.float64)
        is_learned = np.isin(y, learned)
        for fold in range(folds):
            test = fold_of == fold
            train = ~test & is_learned
            model = _train([train_texts[i] for i in np.flatnonzero(train)], list(y[train]), seed)
            fold_labels, fold_confidence = _predict_raw(
                model, [train_texts[i] for i in np.flatnonzero(test)]
            )
            predicted[test] = fold_labels
            confidence[test] = fold_confidence
        correct = predicted == y

        floor = self.min_threshold
        target = self.target_precision
        # Honest figures: each fold is thresholded by what the other folds showed.
        mapped = np.zeros(len(y), dtype=bool)
        for fold in range(folds):
            test = fold_of == fold
            fold_threshold = (
                self.threshold
                if self.threshold is not None
                else _choose_threshold(confidence[~test], correct[~test], target, floor)
            )
            mapped[test] = confidence[test] >= fold_threshold
        threshold = (
            self.threshold
            if self.threshold is not None
            else _choose_threshold(confidence, correct, target, floor)
        )
        if math.isinf(threshold):
            mapped[:] = False  # the fitted classifier will map nothing: say so, not a fold's luck
        return _report(
            y=y,
            predicted=predicted,
            correct=correct,
            mapped=mapped,
            labels=[*learned, *skipped],
            learned=set(learned),
            skipped=skipped,
            seed=seed,
            folds=folds,
            target=target,
            threshold=threshold,
        )

    # -- prediction ---------------------------------------------------------------------------

    def predict(self, texts: Sequence[str]) -> tuple[list[str | None], NDArray[np.float64]]:
        """Labels (``None`` under the threshold: unmapped) and the confidence of the best label.

        Blank texts are unmapped with confidence 0.
        """
        if self._model is None or self.threshold_ is None:
            raise ValueError("ScopeClassifier is not fitted; call fit(texts, labels) first.")
        best, confidence = _predict_raw(self._model, texts)
        threshold = self.threshold_
        labels: list[str | None] = [
            label if conf >= threshold else None
            for label, conf in zip(best, confidence.tolist(), strict=True)
        ]
        return labels, confidence


def _check_folds(folds: int, min_examples: int) -> None:
    if not 2 <= folds <= min_examples:
        raise ValueError(
            f"folds must be between 2 and min_examples_per_label ({min_examples}), got {folds}: "
            "every learned label needs at least one ticket in each fold."
        )


def _usable(
    texts: Sequence[str], labels: Sequence[str | None]
) -> tuple[list[str], list[str], Counter[str]]:
    if len(texts) != len(labels):
        raise ValueError(
            f"texts and labels differ in length ({len(texts)} texts, {len(labels)} labels)."
        )
    kept_texts: list[str] = []
    kept_labels: list[str] = []
    for text, label in zip(texts, labels, strict=True):
        if label and text.strip():
            kept_texts.append(text)
            kept_labels.append(label)
    return kept_texts, kept_labels, Counter(kept_labels)


def _check_enough_labels(learned: Sequence[str], counts: Counter[str], minimum: int) -> None:
    if len(learned) >= 2:
        return
    if not counts:
        raise ValueError("No labelled tickets with text: the classifier has nothing to learn.")
    found = ", ".join(f"{label!r}: {n}" for label, n in sorted(counts.items()))
    too_few = ", ".join(f"{label!r} has {n}" for label, n in sorted(counts.items()) if n < minimum)
    detail = f" Too few: {too_few}." if too_few else ""
    raise ValueError(
        f"The classifier needs at least two catalogue items with {minimum} or more labelled "
        f"tickets each; found {found}.{detail} Label more tickets or map these items by keywords."
    )


def _assign_folds(
    y: NDArray[np.object_], learned: set[str], folds: int, seed: int
) -> NDArray[np.int64]:
    """Stratified folds for learned labels; tickets of skipped labels spread at random."""
    from sklearn.model_selection import StratifiedKFold

    fold_of = np.full(len(y), -1, dtype=np.int64)
    is_learned = np.array([label in learned for label in y], dtype=bool)
    learned_index = np.flatnonzero(is_learned)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for fold, (_, test) in enumerate(
        splitter.split(np.zeros(len(learned_index)), y[learned_index].astype(str))
    ):
        fold_of[learned_index[test]] = fold
    other_index = np.flatnonzero(~is_learned)
    rng = np.random.default_rng(seed)
    fold_of[other_index] = rng.permutation(len(other_index)) % folds
    return fold_of


def _train(texts: Sequence[str], labels: Sequence[str], seed: int) -> Any:
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import FeatureUnion, Pipeline
    from sklearn.svm import LinearSVC

    smallest = min(Counter(labels).values())
    features = FeatureUnion(
        [
            (
                "words",
                TfidfVectorizer(
                    preprocessor=normalise_text,
                    ngram_range=(1, 2),
                    sublinear_tf=True,
                    dtype=np.float32,
                ),
            ),
            (
                # char_wb: n-grams inside word boundaries, so "Druckerinstallation" shares
                # "druc", "ruck", "ucke" ... with "Drucker" and typos still mostly match.
                "chars",
                TfidfVectorizer(
                    preprocessor=normalise_text,
                    analyzer="char_wb",
                    ngram_range=(3, 5),
                    sublinear_tf=True,
                    dtype=np.float32,
                ),
            ),
        ]
    )
    calibrated = CalibratedClassifierCV(
        # dual=True: the dual solver is the fast one for text (more features than tickets)
        # and, measured, also when labelled subjects repeat a lot (the primal one took 6x).
        LinearSVC(C=1.0, dual=True, random_state=seed, max_iter=10_000),
        method="sigmoid",
        cv=StratifiedKFold(n_splits=min(3, smallest), shuffle=True, random_state=seed),
        # One SVM on all tickets, calibrated on its cross-validated scores: better than an
        # average of three SVMs that each saw two thirds of a small training set, and faster.
        ensemble=False,
    )
    model = Pipeline([("features", features), ("model", calibrated)])
    model.fit(list(texts), np.array(labels, dtype=str))
    return model


def _predict_raw(model: Any, texts: Sequence[str]) -> tuple[list[str], NDArray[np.float64]]:
    """Best label and its probability for each text; blank texts get ("", 0.0)."""
    best: list[str] = [""] * len(texts)
    confidence = np.zeros(len(texts), dtype=np.float64)
    present = [i for i, text in enumerate(texts) if text.strip()]
    classes = model.classes_
    for start in range(0, len(present), _PREDICT_CHUNK):
        chunk = present[start : start + _PREDICT_CHUNK]
        probabilities = model.predict_proba([texts[i] for i in chunk])
        winner = probabilities.argmax(axis=1)
        confidence[chunk] = probabilities[np.arange(len(chunk)), winner]
        for i, label in zip(chunk, classes[winner].tolist(), strict=True):
            best[i] = str(label)
    return best, confidence


def _choose_threshold(
    confidence: NDArray[np.float64], correct: NDArray[np.bool_], target: float, floor: float
) -> float:
    """The lowest threshold (>= floor) at which the predictions above it reach ``target``.

    Lowest, because that maps the most tickets while keeping the precision. A precision counts
    only when measured on at least 3 / (1 - target) tickets (30 for 0.9): the "rule of three"
    says that even with no mistake among fewer, an error rate above 1 - target is not ruled
    out, so a lucky handful of confident predictions cannot set the threshold. Returns infinity
    (map nothing) when no threshold reaches the target.
    """
    if len(confidence) == 0:
        return math.inf
    order = np.argsort(-confidence, kind="stable")
    sorted_confidence = confidence[order]
    mapped_count = np.arange(1, len(order) + 1)
    precision = np.cumsum(correct[order]) / mapped_count
    # A threshold maps every ticket with that confidence or more: only the last of equal
    # confidences is a possible cut.
    last_of_tie = np.append(sorted_confidence[1:] != sorted_confidence[:-1], True)
    enough = mapped_count >= math.ceil(3 / (1 - target) - 1e-9)
    valid = last_of_tie & enough & (precision >= target) & (sorted_confidence >= floor)
    if not valid.any():
        return math.inf
    return float(sorted_confidence[np.flatnonzero(valid)[-1]])


def _report(
    *,
    y: NDArray[np.object_],
    predicted: NDArray[np.object_],
    correct: NDArray[np.bool_],
    mapped: NDArray[np.bool_],
    labels: Sequence[str],
    learned: set[str],
    skipped: Mapping[str, int],
    seed: int,
    folds: int,
    target: float,
    threshold: float,
) -> ScopeReport:
    right = mapped & correct
    per_label = []
    for label in labels:
        is_label = y == label
        predicted_label = mapped & (predicted == label)
        n = int(is_label.sum())
        per_label.append(
            LabelScore(
                label=label,
                n=n,
                learned=label in learned,
                precision=float(
                    share(int((predicted_label & correct).sum()), int(predicted_label.sum()))
                ),
                recall=float(share(int((right & is_label).sum()), n)),
                coverage=float(share(int((mapped & is_label).sum()), n)),
            )
        )
    n_mapped, n_right = int(mapped.sum()), int(right.sum())
    low, high = wilson_interval(n_right, n_mapped)
    return ScopeReport(
        seed=seed,
        folds=folds,
        target_precision=target,
        threshold=threshold,
        target_reached=math.isfinite(threshold),
        n=len(y),
        precision=float(share(n_right, n_mapped)),
        precision_interval=(float(low), float(high)),
        recall=float(share(n_right, len(y))),
        coverage=float(share(n_mapped, len(y))),
        accuracy_without_threshold=float(share(int(correct.sum()), len(y))),
        per_label=tuple(per_label),
        skipped_labels=dict(skipped),
    )


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
