"""softmax.SoftmaxClassifier: scikit-learn's estimator API over libsoftmax.

The objective, in scikit-learn's terms. scikit-learn's LogisticRegression (multinomial, penalty='l2') minimises

    C * sum_j s_j * (-log p_{y_j}(x_j)) + 1/2 ||W||^2,          s_j = sample_weight_j * class_weight_{y_j},

and libsoftmax minimises F = (1/S) sum_j s_j * (-log p_{y_j}(x_j)) + (lam/2) ||W||^2 with S = sum_j s_j (the weights
as the library stores them: float32 sample weights times float64 class weights). Dividing the first by C*S gives the
second, so the two share their optimum exactly when

    lam = 1 / (C * S)       (S = n_samples when there are no weights).

`alpha`, when set, is lam itself and C is ignored. Neither penalises the intercept.
"""
import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import check_random_state, compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted

from . import _native
from ._model import Model, default_options

_DTYPES = [np.float64, np.float32, np.uint8]


class SoftmaxClassifier(ClassifierMixin, BaseEstimator):
    """Multinomial logistic regression (softmax) trained by libsoftmax.

    Parameters
    ----------
    C : float, default=1.0
        Inverse regularisation strength with scikit-learn's meaning (see the module docstring: lam = 1 / (C * S)).
    alpha : float or None, default=None
        lam itself (the engine's lambda2 on ||W||^2 / 2 with a mean loss); when set, C is ignored.
    l1 : float, default=0.0
        The engine's lambda1 on ||W||_1 (OWL-QN); not scaled by C.
    solver : {'lbfgs', 'sgd', 'adam'}, default='lbfgs'
    tol : float, default=1e-8
        L-BFGS stops when the gradient's infinity norm, or the relative decrease of F per iteration, falls below tol.
    max_iter : int, default=1000
        L-BFGS iteration limit.
    epochs, learning_rate, batch_size, momentum : SGD/Adam settings.
    precision : {'auto', 'float32', 'float64'}, default='auto'
        Arithmetic of the data term (the reported objective is always float64).
    class_weight : dict, 'balanced' or None
        As in scikit-learn; 'balanced' is n_samples / (n_classes * bincount(y)).
    warm_start : bool, default=False
        Start from the previous fit's weights when the classes and features are the same.
    n_jobs : int or None, default=None
        Engine threads: None or -1 all cores, k > 0 k threads, -2 all but one, ... (a fixed count gives
        bit-identical results).
    random_state : int, RandomState or None
        Seed of the SGD/Adam batch order; None is seed 0.

    Attributes
    ----------
    classes_, coef_, intercept_, n_iter_, n_features_in_, feature_names_in_ (scikit-learn's meanings; for two
    classes coef_ is (1, n_features) = W_1 - W_0 and decision_function is the log-odds of classes_[1]),
    objective_ : F at the solution (float64), lambda_ : the lam used.
    """

    def __init__(self, C=1.0, alpha=None, l1=0.0, solver="lbfgs", tol=1e-8, max_iter=1000, epochs=20,
                 learning_rate=0.1, batch_size=256, momentum=0.0, precision="auto", class_weight=None,
                 warm_start=False, n_jobs=None, random_state=None):
        self.C = C
        self.alpha = alpha
        self.l1 = l1
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.epochs = epochs
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.momentum = momentum
        self.precision = precision
        self.class_weight = class_weight
        self.warm_start = warm_start
        self.n_jobs = n_jobs
        self.random_state = random_state

    def fit(self, X, y, sample_weight=None):
        """Fits the model; returns self."""
        X, y = self._validate_data(X, y, accept_sparse="csr", dtype=_DTYPES)
        check_classification_targets(y)
        classes, y_index = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            raise ValueError(f"This solver needs samples of at least 2 classes in the data, but the data contain only "
                             f"one class: {classes[0]!r}")
        sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64, only_non_negative=True)
        class_weights = compute_class_weight(self.class_weight, classes=classes, y=y)
        stored = sample_weight.astype(np.float32).astype(np.float64)  # the library keeps sample weights as float32
        total = float(np.sum(stored * class_weights[y_index]))
        if not total > 0:
            raise ValueError("The sample weights (times the class weights) sum to zero: there is nothing to fit.")
        lam = self._lambda(total)
        options = self._options(lam, class_weights)
        warm = getattr(self, "_model", None) if self.warm_start else None
        if warm is not None and (warm.shape != (len(classes), X.shape[1])
                                 or not np.array_equal(getattr(self, "classes_", None), classes)):
            warm = None
        problem = _native.Problem(X, y_index, sample_weight, len(classes))
        self._model = _named(Model.train(problem, options, warm_start=warm), classes)
        self.classes_ = classes
        self.lambda_ = lam
        self._set_fitted_attributes()
        return self

    def _lambda(self, total_weight):
        if self.alpha is not None:
            if not (np.isfinite(self.alpha) and self.alpha >= 0):
                raise ValueError(f"alpha must be finite and >= 0, not {self.alpha!r}")
            return float(self.alpha)
        if not (np.isfinite(self.C) and self.C > 0):
            raise ValueError(f"C must be positive and finite, not {self.C!r}")
        return 1.0 / (float(self.C) * total_weight)

    def _options(self, lam, class_weights):
        for name, value, allowed in (("solver", self.solver, _native.SOLVERS), ("precision", self.precision, _native.PRECISIONS)):
            if value not in allowed:
                raise ValueError(f"{name} must be one of {sorted(allowed)}, not {value!r}")
        self._class_weights = np.ascontiguousarray(class_weights, dtype=np.float64)  # read by the library during fit
        if self.random_state is None:
            seed = 0
        elif isinstance(self.random_state, (int, np.integer)):
            seed = int(self.random_state) % 2**31
        else:
            seed = int(check_random_state(self.random_state).randint(2**31 - 1))
        return default_options(
            solver=_native.SOLVERS[self.solver], l2=lam, l1=float(self.l1), tol=float(self.tol), max_iter=int(self.max_iter),
            epochs=int(self.epochs), lr=float(self.learning_rate), batch_size=int(self.batch_size),
            momentum=float(self.momentum), seed=seed, threads=self._threads(),
            precision=_native.PRECISIONS[self.precision],
            class_weights=self._class_weights.ctypes.data_as(_native.POINTER(_native.c_double)),
            n_class_weights=len(self._class_weights))

    def _threads(self):
        import os
        if self.n_jobs is None or self.n_jobs == -1:
            return 0
        if self.n_jobs == 0:
            raise ValueError("n_jobs == 0 has no meaning; use None, -1 or a positive count")
        return int(self.n_jobs) if self.n_jobs > 0 else max(1, (os.cpu_count() or 1) + 1 + int(self.n_jobs))

    def _set_fitted_attributes(self):
        W, b = self._model.coefficients()
        if len(self.classes_) == 2:
            W, b = W[1:] - W[:1], b[1:] - b[:1]
        self.coef_, self.intercept_ = W, b
        info = self._model.training_info
        self.n_iter_ = np.array([info.iterations], dtype=np.int32)
        self.objective_ = info.objective
        self.stop_reason_ = info.stop_reason

    def _problem(self, X):
        check_is_fitted(self)
        X = self._validate_data(X, accept_sparse="csr", dtype=_DTYPES, reset=False)
        return _native.Problem(X)

    def decision_function(self, X):
        """Scores W x + b (n_samples, n_classes); for two classes the log-odds of classes_[1] (n_samples,)."""
        problem = self._problem(X)
        scores = self._model.decision_function(problem)
        return scores[:, 1] - scores[:, 0] if len(self.classes_) == 2 else scores

    def predict(self, X):
        """The most probable class of each row."""
        problem = self._problem(X)
        return self.classes_[self._model.predict(problem)]

    def predict_proba(self, X):
        """Class probabilities (n_samples, n_classes), in the order of classes_."""
        problem = self._problem(X)
        return self._model.predict_proba(problem)

    def predict_log_proba(self, X):
        """log of predict_proba, through log-sum-exp."""
        problem = self._problem(X)
        return self._model.predict_log_proba(problem)

    def save_model(self, path):
        """Writes the model file (read by the CLI, .NET and C), its class i named str(classes_[i])."""
        check_is_fitted(self)
        self._model.save(path)

    @classmethod
    def load_model(cls, path):
        """A fitted classifier from a model file written by the CLI, .NET, C or save_model.

        classes_ are the file's class names: integers when every name is one written the canonical way ("0", "-3"),
        else strings. Predictions apply the model's own preprocessing (a CLI model of a CSV standardizes by
        default); coef_ and intercept_ are then in the preprocessed units, as softmax_model_coefficients gives them.
        The hyperparameters are the defaults: the model file does not carry them."""
        return cls.from_model(Model.load(path))

    @classmethod
    def from_model(cls, model):
        """A fitted classifier around a softmax.Model (see load_model)."""
        clf = cls()
        clf._model = model
        clf.classes_ = _classes_from_names(model.class_names)
        clf.n_features_in_ = model.shape[1]
        clf._set_fitted_attributes()
        return clf

    def __getstate__(self):
        state = super().__getstate__()
        state = dict(state)
        state.pop("_class_weights", None)
        if state.get("_model") is not None:
            state["_model"] = state["_model"].to_bytes()  # the model file format, never the handle
        return state

    def __setstate__(self, state):
        state = dict(state)
        if state.get("_model") is not None:
            state["_model"] = Model.from_bytes(state["_model"])
        super().__setstate__(state)

    # No _more_tags: every scikit-learn estimator check applies and passes, none is marked as expected to fail.


def _named(model, classes):
    """The model with its classes named str(classes_[i]), so the CLI prints the labels; unchanged when those strings
    are not distinct and non-empty (for example classes 1 and '1'), where the file keeps the indices "0".."C-1"."""
    names = [str(c) for c in classes]
    if len(set(names)) != len(names) or not all(names):
        return model
    return model.with_class_names(names)


def _classes_from_names(names):
    """classes_ for a model file's names: int64 when each is a canonical integer, else strings."""
    try:
        numbers = [int(name) for name in names]
    except ValueError:
        return np.array(names)
    return np.array(numbers, dtype=np.int64) if [str(k) for k in numbers] == names else np.array(names)
