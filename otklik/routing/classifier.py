"""The text classifier behind every routing suggestion: TF-IDF over lemmas and character n-grams, a linear
SVM, calibrated so that a confidence of 0.9 is right nine times in ten.

One class serves both labels the region needs (the category and the organisation) and is pure: it knows
nothing of the database, so ``routing_eval`` runs on files and ``routing_train`` on decided appeals alike.

Prediction is the hot path (moderators' queues, automatic routing of every new message), and scikit-learn's
per-call validation costs more than the arithmetic for one message. So after training the fitted pieces are
folded into plain arrays (vocabularies, idf weights, one weight matrix, the calibration) and a single message
is scored with a dictionary lookup per feature and one sparse dot product — the same numbers as
scikit-learn's ``predict_proba`` (a test checks it), several times faster.
"""

from __future__ import annotations

import itertools
import math
import pickle
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC
from threadpoolctl import threadpool_limits

from otklik.routing.text import clean, lemma, quick_tokens

# Character n-grams read word endings and misspellings the lemmatiser does not know («ямма», «свищ»).
CHAR_NGRAMS = (2, 5)
# Word pairs keep «нет света» apart from «свет на улице».
WORD_NGRAMS = (1, 2)
TERRITORY_PREFIX = "территория="
MAX_CHARS = 3000
CHAR_CACHE_SIZE = 200_000
UNCALIBRATED_SLOPE = 3.0  # a long letter decides by its beginning; the tail only costs time


@dataclass(frozen=True)
class Suggestion:
    label: str
    confidence: float
    # The features that weighed most for this label: lemmas, word pairs, the territory.
    because: tuple[str, ...] = ()


def _prepare(text: str) -> str:
    """The one normalisation both feature kinds read: cleaned, lower-cased, «ё» as «е»."""
    return clean(text[:MAX_CHARS]).lower().replace("ё", "е")


def _word_features(prepared: str, territory: str | None) -> list[str]:
    words = [lemma(w) for w in quick_tokens(prepared) if len(w) > 1 or w.isdigit()]
    grams = list(words)
    grams.extend(f"{a} {b}" for a, b in itertools.pairwise(words))
    if territory:
        grams.append(TERRITORY_PREFIX + territory)
    return grams


def _char_grams(token: str) -> list[str]:
    """scikit-learn's ``char_wb`` n-grams of one whitespace token: padded by spaces; a short one once, whole."""
    padded = f" {token} "
    length = len(padded)
    grams = []
    for n in range(CHAR_NGRAMS[0], CHAR_NGRAMS[1] + 1):
        if n >= length:
            grams.append(padded)
            break
        grams.extend(padded[i : i + n] for i in range(length - n + 1))
    return grams


def _identity(features: list[str]) -> list[str]:
    return features


@dataclass
class TextClassifier:
    """Fit with ``fit(texts, labels, territories)``; ask ``suggest(text, territory)``.

    ``territories`` are optional names (or ids as strings) of the place the message is about; when given,
    the territory becomes one more feature, so a district's own administration can win over the
    regional ministry for the same words.
    """

    c: float = 0.5
    calibration_folds: int = 3
    # A cold start from a few keywords per category has nothing to calibrate against (every held-out
    # keyword is unseen): its confidence is then only a monotone squash of the SVM's scores, a ranking.
    calibrate: bool = True
    min_df: int = 1
    labels: list[str] = field(default_factory=list)
    trained_on: int = 0
    uses_territory: bool = False
    # Folded, picklable state for the fast path (filled by ``fit``).
    _word_vocab: dict[str, int] = field(default_factory=dict, repr=False)
    _char_vocab: dict[str, int] = field(default_factory=dict, repr=False)
    _idf: Any = field(default=None, repr=False)
    _coef: Any = field(default=None, repr=False)  # (n_features, n_labels)
    _intercept: Any = field(default=None, repr=False)
    _cal_a: Any = field(default=None, repr=False)
    _cal_b: Any = field(default=None, repr=False)
    _feature_names: list[str] = field(default_factory=list, repr=False)
    _sklearn: Any = field(default=None, repr=False)  # kept only in memory, for the equivalence test
    # Whitespace token → its character n-grams' feature indices: a region's messages repeat their word
    # forms, so each is cut into n-grams once per process (not saved with the model).
    _char_cache: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    # ---------------------------------------------------------------- training
    def fit(
        self, texts: Sequence[str], labels: Sequence[str], territories: Sequence[str | None] | None = None
    ) -> TextClassifier:
        if len(texts) != len(labels):
            raise ValueError("texts and labels differ in length")
        counts = Counter(labels)
        if len(counts) < 2:
            raise ValueError("at least two labels are needed to train")
        self.uses_territory = territories is not None
        chars = [_prepare(t) for t in texts]
        words = [_word_features(c, territories[i] if territories is not None else None) for i, c in enumerate(chars)]
        word_vec = TfidfVectorizer(
            analyzer=_identity, min_df=self.min_df, sublinear_tf=True, dtype=np.float64
        )
        char_vec = TfidfVectorizer(
            analyzer="char_wb", ngram_range=CHAR_NGRAMS, lowercase=False, min_df=max(2, self.min_df), sublinear_tf=True,
            max_features=150_000, dtype=np.float64,
        )
        # Calibration predicts every example from folds that did not see it, so each label must appear in
        # every fold: a label rarer than the folds (a new category, a test one) is repeated until it does.
        # Its few examples then also calibrate themselves, which only makes that rare label look surer.
        y_list = list(labels)
        for label, count in counts.items() if self.calibrate else ():
            if count < self.calibration_folds:
                rows = [i for i, value in enumerate(labels) if value == label]
                for k in range(self.calibration_folds - count):
                    i = rows[k % len(rows)]
                    words.append(words[i])
                    chars.append(chars[i])
                    y_list.append(label)
        with threadpool_limits(limits=1):
            x = sparse.hstack([word_vec.fit_transform(words), char_vec.fit_transform(chars)]).tocsr()
            svm = LinearSVC(C=self.c, class_weight="balanced", max_iter=5000)
            model: CalibratedClassifierCV | LinearSVC = svm
            if self.calibrate:
                model = CalibratedClassifierCV(
                    svm, method="sigmoid", cv=self.calibration_folds, ensemble=False, n_jobs=1
                )
            model.fit(x, np.asarray(y_list))
        self._fold(word_vec, char_vec, model)
        self.trained_on = len(texts)
        return self

    def _fold(
        self, word_vec: TfidfVectorizer, char_vec: TfidfVectorizer, model: CalibratedClassifierCV | LinearSVC
    ) -> None:
        self._sklearn = (word_vec, char_vec, model)
        if isinstance(model, CalibratedClassifierCV):
            calibrated = model.calibrated_classifiers_[0]
            svm = calibrated.estimator
            slopes = [c.a_ for c in calibrated.calibrators]
            shifts = [c.b_ for c in calibrated.calibrators]
        else:
            svm = model
            slopes = [-UNCALIBRATED_SLOPE] * len(svm.coef_)
            shifts = [0.0] * len(svm.coef_)
        self.labels = [str(label) for label in model.classes_]
        self._word_vocab = {str(k): int(v) for k, v in word_vec.vocabulary_.items()}
        offset = len(self._word_vocab)
        self._char_vocab = {str(k): int(v) + offset for k, v in char_vec.vocabulary_.items()}
        self._idf = np.concatenate([word_vec.idf_, char_vec.idf_]).astype(np.float64)
        coef = np.asarray(svm.coef_, dtype=np.float64)
        intercept = np.asarray(svm.intercept_, dtype=np.float64)
        if len(self.labels) == 2:  # a binary SVM has one row: the score of the second label
            coef = np.vstack([-coef[0], coef[0]])
            intercept = np.array([-intercept[0], intercept[0]])
            # Calibration of a binary model is one sigmoid over the second label's score.
        self._cal_a = np.array(slopes, dtype=np.float64)
        self._cal_b = np.array(shifts, dtype=np.float64)
        # Dense (features × labels): one message touches about a thousand rows, gathered in one step.
        self._coef = np.ascontiguousarray(coef.T)
        self._intercept = intercept
        names = [""] * (offset + len(self._char_vocab))
        for name, index in self._word_vocab.items():
            names[index] = name
        for name, index in self._char_vocab.items():
            names[index] = name
        self._feature_names = names

    # ---------------------------------------------------------------- prediction
    def _vector(self, text: str, territory: str | None) -> tuple[np.ndarray, np.ndarray]:
        """Feature indices and l2-normalised sublinear tf-idf values, words and characters normalised
        separately, exactly as the two fitted vectorizers do."""
        prepared = _prepare(text)
        vocab = self._word_vocab
        word_ids = [i for i in map(vocab.get, _word_features(prepared, territory if self.uses_territory else None))
                    if i is not None]
        cache = self._char_cache
        pieces = []
        for token in prepared.split():
            ids = cache.get(token)
            if ids is None:
                if len(cache) > CHAR_CACHE_SIZE:
                    cache.clear()
                found = [i for i in map(self._char_vocab.get, _char_grams(token)) if i is not None]
                ids = cache[token] = np.asarray(found, dtype=np.int64)
            pieces.append(ids)
        word_idx, word_val = self._block(np.asarray(word_ids, dtype=np.int64))
        char_idx, char_val = self._block(np.concatenate(pieces) if pieces else np.empty(0, dtype=np.int64))
        return np.concatenate([word_idx, char_idx]), np.concatenate([word_val, char_val])

    def _block(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if not len(ids):
            return ids, np.empty(0, dtype=np.float64)
        index, counts = np.unique(ids, return_counts=True)
        values = (1.0 + np.log(counts)) * self._idf[index]
        return index, values / np.sqrt(values @ values)

    def probabilities(self, text: str, territory: str | None = None) -> np.ndarray:
        if self._coef is None:
            raise RuntimeError("the classifier is not trained")
        indices, values = self._vector(text, territory)
        scores = self._intercept + values @ self._coef[indices]
        if len(self.labels) == 2:
            second = 1.0 / (1.0 + math.exp(float(self._cal_a[0] * scores[1] + self._cal_b[0])))
            return np.array([1.0 - second, second])
        probabilities = 1.0 / (1.0 + np.exp(self._cal_a * scores + self._cal_b))
        total = probabilities.sum()
        if total <= 0:
            return np.full(len(self.labels), 1.0 / len(self.labels))
        return np.asarray(probabilities / total)

    def predict(self, text: str, territory: str | None = None) -> str:
        return self.labels[int(np.argmax(self.probabilities(text, territory)))]

    def suggest(self, text: str, territory: str | None = None, *, top: int = 3, reasons: int = 5) -> list[Suggestion]:
        """The ``top`` labels with their confidence and the features that pushed each one up most."""
        probabilities = self.probabilities(text, territory)
        order = np.argsort(-probabilities)[:top]
        indices, values = self._vector(text, territory)
        result = []
        for k in order:
            because: tuple[str, ...] = ()
            if len(indices):
                weights = self._coef[indices, int(k)] * values
                strongest = np.argsort(-weights)[:reasons]
                because = tuple(
                    self._feature_names[int(indices[i])].strip() for i in strongest if weights[i] > 0
                )
            result.append(Suggestion(self.labels[int(k)], float(probabilities[k]), because))
        return result

    def sklearn_probabilities(self, texts: Sequence[str], territories: Sequence[str | None] | None = None) -> Any:
        """scikit-learn's own answer for the same texts (tests compare it with the fast path)."""
        word_vec, char_vec, model = self._sklearn
        chars = [_prepare(t) for t in texts]
        words = [_word_features(c, territories[i] if territories else None) for i, c in enumerate(chars)]
        x = sparse.hstack([word_vec.transform(words), char_vec.transform(chars)]).tocsr()
        return model.predict_proba(x)

    # ---------------------------------------------------------------- files
    def dumps(self) -> bytes:
        state = {k: v for k, v in self.__dict__.items() if k not in ("_sklearn", "_char_cache")}
        return pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)

    @classmethod
    def loads(cls, data: bytes) -> TextClassifier:
        # Model files are written only by routing_train on this deployment's own storage.
        state = pickle.loads(data)
        model = cls()
        model.__dict__.update(state)
        model._sklearn = None
        model._char_cache = {}
        return model

    def save(self, path: Path) -> None:
        path.write_bytes(self.dumps())

    @classmethod
    def load(cls, path: Path) -> TextClassifier:
        return cls.loads(path.read_bytes())
