"""The scope classifier: catalogue items learned from the provider's labelled tickets.

``ScopeClassifier`` is TF-IDF (word 1-2 grams, character 3-5 grams within words), a linear
SVM and sigmoid calibration, so that its confidences are probabilities. ``fit``
cross-validates first and chooses the lowest confidence threshold at which the held-out
predictions reach the target precision (never below ``min_threshold``); under it a ticket
stays unmapped. ``ScopeReport`` holds the honest cross-validated figures, overall and per label
(``LabelScore``). scikit-learn is imported when a model is trained. Every name here is
importable from ``scope`` too.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray

from solidground.engine.scope_rules import normalise_text
from solidground.engine.stats import share, wilson_interval

__all__ = ["DEFAULT_SEED", "LabelScore", "ScopeClassifier", "ScopeReport"]

DEFAULT_SEED = 20250105
"""Seed of every random step (fold assignment, SVM solver) unless the caller gives another."""


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
