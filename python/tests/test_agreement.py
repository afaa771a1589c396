"""Same optimum as scikit-learn's LogisticRegression(multinomial, lbfgs) run tightly, on scikit-learn's datasets.

F is computed here, independently, in numpy float64 from each model's full (W, b):
    F = (1/S) sum_j s_j (logsumexp(o_j) - o_{j,y_j}) + (lam/2) ||W||^2,   S = sum_j s_j,   lam = 1/(C S).
scikit-learn's lbfgs also stops on a relative decrease of 64 eps (scipy's ftol), which on digits leaves it ~1e-8
relative above the optimum whatever tol says; so the reference optimum F* is scikit-learn's solution polished by
scipy's L-BFGS-B on this numpy F and its gradient (float64, gtol 1e-13), and each model is judged against F*.
"""
import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.special import logsumexp
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from sklearn.utils import compute_class_weight

from softmax import SoftmaxClassifier

LOADERS = {"iris": load_iris, "wine": load_wine, "breast_cancer": load_breast_cancer, "digits": load_digits}


def objective(W, b, X, y_index, s, lam):
    scores = X @ W.T + b
    loss = logsumexp(scores, axis=1) - scores[np.arange(len(y_index)), y_index]
    return float(np.sum(s * loss) / np.sum(s) + lam / 2 * np.sum(W * W))


def objective_and_gradient(theta, X, y_index, s, lam, classes):
    W, b = theta[:-classes].reshape(classes, -1), theta[-classes:]
    scores = X @ W.T + b
    lse = logsumexp(scores, axis=1)
    r = np.exp(scores - lse[:, None])
    r[np.arange(len(y_index)), y_index] -= 1
    r *= (s / np.sum(s))[:, None]
    f = objective(W, b, X, y_index, s, lam)
    return f, np.concatenate([(r.T @ X + lam * W).ravel(), r.sum(axis=0)])


def polished_optimum(W, b, X, y_index, s, lam):
    """F and (W, b) at the minimiser, by L-BFGS-B started from (W, b)."""
    result = minimize(objective_and_gradient, np.concatenate([W.ravel(), b]), jac=True, method="L-BFGS-B",
                      args=(X, y_index, s, lam, len(b)), options={"gtol": 1e-13, "ftol": 0, "maxiter": 10000, "maxcor": 30})
    classes = len(b)
    return result.fun, result.x[:-classes].reshape(classes, -1), result.x[-classes:]


def sklearn_full(model):
    """scikit-learn's multinomial coef_ is W itself, except for two classes where it keeps w_1 (and w_0 = -w_1)."""
    W, b = model.coef_, model.intercept_
    return (np.vstack([-W, W]), np.hstack([-b, b])) if W.shape[0] == 1 else (W, b)


@pytest.mark.parametrize("weights", ["none", "sample_weight", "balanced"])
@pytest.mark.parametrize("name", list(LOADERS))
def test_same_optimum_as_sklearn(name, weights):
    X, y = LOADERS[name](return_X_y=True)
    X = StandardScaler().fit_transform(X)  # so that lbfgs in scikit-learn converges tightly
    # Integer sample weights are exact in float32, the library's storage.
    sw = np.random.default_rng(0).integers(1, 4, size=len(y)).astype(np.float64) if weights == "sample_weight" else None
    class_weight = "balanced" if weights == "balanced" else None
    ref = LogisticRegression(multi_class="multinomial", C=1.0, tol=1e-10, max_iter=10000, class_weight=class_weight)
    ref.fit(X, y, sample_weight=sw)
    ours = SoftmaxClassifier(C=1.0, tol=1e-12, max_iter=10000, precision="float64", class_weight=class_weight, n_jobs=1)
    ours.fit(X, y, sample_weight=sw)

    classes, y_index = np.unique(y, return_inverse=True)
    s = (np.ones(len(y)) if sw is None else sw) * compute_class_weight(class_weight, classes=classes, y=y)[y_index]
    lam = 1.0 / s.sum()
    W, b = ours._model.coefficients()
    f_ours = objective(W, b, X, y_index, s, lam)
    f_ref = objective(*sklearn_full(ref), X, y_index, s, lam)
    f_star, W_star, b_star = polished_optimum(*sklearn_full(ref), X, y_index, s, lam)
    # Both sit at or above the polished optimum, up to the rounding of F itself (~1e-16 relative per evaluation).
    assert f_star <= f_ours * (1 + 1e-13) and f_star <= f_ref * (1 + 1e-13)
    assert f_ours - f_star <= 1e-8 * f_star, (f_ours, f_ref, f_star)
    assert f_ref - f_star <= 1e-7 * f_star, (f_ours, f_ref, f_star)  # scikit-learn itself near the same optimum
    assert ours.lambda_ == pytest.approx(lam, rel=1e-15)
    assert ours.objective_ == pytest.approx(f_ours, rel=1e-7)  # the engine's own F (float32 rows) at its optimum
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X))
    # scikit-learn's probabilities are up to ~1e-4 away from the optimum's (its early stop); compare with F*'s. Ours
    # are the optimum of the float32-rounded X (the library's storage): measured up to 4e-6 away on digits.
    scores = X @ W_star.T + b_star
    np.testing.assert_allclose(ours.predict_proba(X), np.exp(scores - logsumexp(scores, axis=1)[:, None]), atol=1e-5)
