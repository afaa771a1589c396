"""SoftmaxClassifier's estimator API and the softmax.Model/Problem bindings, checked against numpy float64."""
import os
import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import logsumexp
from sklearn.base import clone
from sklearn.datasets import load_iris, load_breast_cancer
from sklearn.preprocessing import StandardScaler

import softmax
from softmax import Model, Problem, SoftmaxClassifier, TrainingCancelled, default_options


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def test_outputs_agree_with_numpy_from_coef(iris):
    X, y = iris
    clf = SoftmaxClassifier(n_jobs=1).fit(X, y)
    scores = X @ clf.coef_.T + clf.intercept_  # numpy float64; the library reads float32 rows
    X32 = X.astype(np.float32).astype(np.float64)
    np.testing.assert_allclose(clf.decision_function(X), X32 @ clf.coef_.T + clf.intercept_, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(clf.decision_function(X), scores, atol=1e-5)
    log_p = scores - logsumexp(scores, axis=1)[:, None]
    np.testing.assert_allclose(clf.predict_log_proba(X), log_p, atol=1e-5)
    np.testing.assert_allclose(clf.predict_proba(X), np.exp(log_p), atol=1e-5)
    np.testing.assert_allclose(clf.predict_proba(X).sum(axis=1), 1, rtol=1e-12)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[np.argmax(scores, axis=1)])
    assert clf.score(X, y) == np.mean(clf.predict(X) == y) > 0.95
    assert clf.coef_.shape == (3, 4) and clf.intercept_.shape == (3,) and clf.n_features_in_ == 4
    assert clf.n_iter_.shape == (1,) and clf.n_iter_[0] > 0
    assert clf.lambda_ == 1 / 150


def test_binary_is_the_log_odds_of_the_second_class():
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    labels = np.where(y == 1, "yes", "no")
    clf = SoftmaxClassifier(n_jobs=1).fit(X, labels)
    assert list(clf.classes_) == ["no", "yes"] and clf.coef_.shape == (1, 30) and clf.intercept_.shape == (1,)
    d = clf.decision_function(X)
    assert d.shape == (len(y),)
    X32 = X.astype(np.float32).astype(np.float64)
    np.testing.assert_allclose(d, X32 @ clf.coef_[0] + clf.intercept_[0], rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(clf.predict_proba(X)[:, 1], 1 / (1 + np.exp(-d)), rtol=1e-10, atol=1e-14)
    np.testing.assert_array_equal(clf.predict(X), np.where(d > 0, "yes", "no"))


def test_C_and_alpha_are_the_documented_mapping(iris):
    X, y = iris
    sw = np.arange(1, len(y) + 1, dtype=np.float64) % 3 + 1
    by_c = SoftmaxClassifier(C=0.5, n_jobs=1).fit(X, y, sample_weight=sw)
    by_alpha = SoftmaxClassifier(alpha=1 / (0.5 * sw.sum()), n_jobs=1).fit(X, y, sample_weight=sw)
    assert by_c.lambda_ == by_alpha.lambda_
    np.testing.assert_array_equal(by_c.coef_, by_alpha.coef_)


def test_sparse_csr_matches_dense(iris):
    X, y = iris
    # Dense rows get the covariance preconditioner and CSR rows a diagonal one: different paths, so both are run to
    # the float64 optimum (tol 1e-12) and must meet there.
    dense = SoftmaxClassifier(n_jobs=1, tol=1e-12).fit(X, y)
    for index_dtype in (np.int32, np.int64):
        Xs = sp.csr_matrix(X)
        Xs.indptr, Xs.indices = Xs.indptr.astype(index_dtype), Xs.indices.astype(index_dtype)
        sparse = SoftmaxClassifier(n_jobs=1, tol=1e-12).fit(Xs, y)
        np.testing.assert_allclose(sparse.coef_, dense.coef_, rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(sparse.predict_proba(Xs), dense.predict_proba(X), atol=1e-8)


def test_dtypes_and_layouts_read_the_same_values(iris):
    X, y = iris
    ref = SoftmaxClassifier(n_jobs=1).fit(X.astype(np.float32), y)
    for variant in (X, np.asfortranarray(X), X.astype(np.float32)):
        np.testing.assert_array_equal(SoftmaxClassifier(n_jobs=1).fit(variant, y).coef_, ref.coef_)
    pixels = np.random.default_rng(1).integers(0, 256, size=(200, 16)).astype(np.uint8)
    labels = (pixels[:, 0] > 128).astype(int) + (pixels[:, 1] > 128)
    a = SoftmaxClassifier(alpha=1e-2, n_jobs=1).fit(pixels, labels)
    b = SoftmaxClassifier(alpha=1e-2, n_jobs=1).fit(pixels.astype(np.float32), labels)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-6, atol=1e-9)


def test_pickle_and_model_file_round_trip(iris, tmp_path):
    X, y = iris
    clf = SoftmaxClassifier(n_jobs=1).fit(X, y)
    copy = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(copy.predict_proba(X), clf.predict_proba(X))
    assert copy.get_params() == clf.get_params()
    path = str(tmp_path / "iris.softmax")
    clf.save_model(path)
    loaded = Model.load(path)
    W, b = clf._model.coefficients()
    np.testing.assert_array_equal(loaded.coefficients()[0], W)
    np.testing.assert_array_equal(Model.from_bytes(loaded.to_bytes()).coefficients()[1], b)
    assert open(path, "rb").read() == loaded.to_bytes()
    rebuilt = Model.from_coefficients(W, b)
    np.testing.assert_array_equal(rebuilt.predict_proba(Problem(X)), clf.predict_proba(X))


def test_warm_start_continues_from_the_previous_weights(iris):
    X, y = iris
    cold = SoftmaxClassifier(n_jobs=1, tol=1e-10).fit(X, y)
    warm = SoftmaxClassifier(n_jobs=1, tol=1e-10, warm_start=True).fit(X, y)
    warm.set_params(C=1.0).fit(X, y)
    assert warm.n_iter_[0] < cold.n_iter_[0] // 2
    assert warm.objective_ <= cold.objective_ * (1 + 1e-12)
    np.testing.assert_allclose(warm.coef_, cold.coef_, rtol=1e-4)  # F is flat to 1e-11 along a 1e-5 step here


def test_class_weight_dict_equals_sample_weights(iris):
    X, y = iris
    weights = {0: 1.0, 1: 3.0, 2: 0.5}
    by_class = SoftmaxClassifier(n_jobs=1, class_weight=weights).fit(X, y)
    by_sample = SoftmaxClassifier(n_jobs=1).fit(X, y, sample_weight=np.vectorize(weights.get)(y).astype(float))
    assert by_class.lambda_ == pytest.approx(by_sample.lambda_, rel=1e-15)
    np.testing.assert_allclose(by_class.coef_, by_sample.coef_, rtol=1e-7, atol=1e-9)


def test_same_threads_give_identical_results(iris):
    X, y = iris
    for solver in ("lbfgs", "sgd", "adam"):
        a = SoftmaxClassifier(solver=solver, precision="float32", n_jobs=2, random_state=3, epochs=50, batch_size=16,
                              learning_rate=0.05).fit(X, y)
        b = clone(a).fit(X, y)
        np.testing.assert_array_equal(a.coef_, b.coef_)
        assert a.score(X, y) > 0.9


def test_errors_are_python_exceptions_with_the_library_message(iris, tmp_path):
    X, y = iris
    with pytest.raises(ValueError, match="magic"):
        Model.from_bytes(b"not a model at all")
    with pytest.raises(OSError, match="No such model file"):
        Model.load(str(tmp_path / "missing.softmax"))
    with pytest.raises(ValueError, match="solver"):
        SoftmaxClassifier(solver="newton").fit(X, y)
    with pytest.raises(ValueError, match="learning rate"):
        SoftmaxClassifier(solver="sgd", learning_rate=-1).fit(X, y)
    with pytest.raises(ValueError, match="outside 0..2"):
        Problem(X, np.full(len(y), 5), n_classes=3)
    clf = SoftmaxClassifier().fit(X, y)
    with pytest.raises(ValueError, match="features"):
        clf._model.predict(Problem(X[:, :3]))


def test_progress_callback_reports_and_cancels(iris):
    X, y = iris
    seen = []
    problem = Problem(X, np.unique(y, return_inverse=True)[1])
    Model.train(problem, default_options(threads=1), progress=lambda p: seen.append(p.loss) and False)
    assert len(seen) > 3 and all(a >= b for a, b in zip(seen, seen[1:]))
    with pytest.raises(TrainingCancelled, match="cancelled") as stopped:
        Model.train(problem, default_options(threads=1), progress=lambda p: p.iteration >= 2)
    assert stopped.value.model.training_info.iterations == 2
    assert stopped.value.model.shape == (3, 4)


def test_named_sets_and_the_library_version():
    train = Problem.load("digits")
    test = Problem.load("digits", part=1)
    assert train.shape == (1438, 64, 10) and test.shape[0] == 359
    model = Model.train(train, default_options(l2=1e-4, threads=1, tol=1e-10))
    assert model.score(test) > 0.94
    assert softmax.version() == softmax.__version__
    assert os.path.isfile(softmax.library_path())
