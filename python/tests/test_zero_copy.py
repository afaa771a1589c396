"""Arrays reach the library without a copy where the layout allows: the library reads float32 rows in the engine's
layout (64-byte aligned, cols a multiple of 16 or rows padded with zeros to that stride), C-contiguous uint8 rows
and CSR int32 indices and float32 data in place. Observed, not assumed: a view sees
a later change to the caller's array, a copy does not."""
import numpy as np
import pytest
import scipy.sparse as sp

from softmax import Model, Problem, SoftmaxClassifier, empty_aligned
from softmax import _native


def scores(W, b, X):
    return X.astype(np.float64) @ W.T + b


@pytest.fixture()
def model():
    rng = np.random.default_rng(7)
    W, b = rng.standard_normal((3, 20)), rng.standard_normal(3)
    return Model.from_coefficients(W, b), W, b


def check_sees(model, problem, X, view):
    m, W, b = model
    np.testing.assert_allclose(m.decision_function(problem), scores(W, b, X), rtol=1e-12, atol=1e-12)
    before = X.copy()
    np.copyto(X, X[::-1].copy())  # rows reversed, in the caller's memory
    expected = scores(W, b, X if view else before)
    np.testing.assert_allclose(m.decision_function(problem), expected, rtol=1e-12, atol=1e-12)
    assert problem.is_view == view


def test_padded_float32_rows_are_read_in_place(model):
    # A (50, 32) buffer, zero past column 20: X = buffer[:, :20] has the engine's stride (32) and zero padding.
    buffer = empty_aligned((50, _native.lib().softmax_padded_cols(20)))
    assert buffer.shape[1] == 32 and buffer.ctypes.data % 64 == 0
    buffer[...] = 0
    buffer[:, :20] = np.random.default_rng(1).standard_normal((50, 20))
    X = buffer[:, :20]
    problem = Problem(X)
    assert problem._x.ctypes.data == buffer.ctypes.data  # no Python-side copy either
    check_sees(model, problem, X, view=True)


def test_float32_rows_off_a_64_byte_boundary_are_copied(model):
    b = model[2]
    values = np.random.default_rng(5).standard_normal((40, 32)).astype(np.float32)
    aligned = empty_aligned(values.shape)
    aligned[...] = values
    assert Problem(aligned).is_view
    raw = empty_aligned((40 * 32 + 4,))
    shifted = raw[4:].reshape(40, 32)  # 16 bytes past the boundary, as numpy's own arrays usually are
    shifted[...] = values
    problem = Problem(shifted)
    assert shifted.flags.c_contiguous and not problem.is_view
    W32 = np.random.default_rng(6).standard_normal((3, 32))
    m32 = Model.from_coefficients(W32, b)
    np.testing.assert_allclose(m32.decision_function(problem), scores(W32, b, values), rtol=1e-12, atol=1e-12)


def test_other_layouts_are_copied_and_read_the_same_values(model):
    rng = np.random.default_rng(2)
    dense = rng.standard_normal((40, 20)).astype(np.float32)           # 20 columns: not the engine's stride
    noisy = np.ones((40, 32), dtype=np.float32)                         # padding not zero
    noisy[:, :20] = dense
    for X in (dense, noisy[:, :20], dense.astype(np.float64), np.asfortranarray(dense)):
        check_sees(model, Problem(X), X, view=False)

def test_c_contiguous_uint8_rows_are_read_in_place(model):
    X8 = np.random.default_rng(3).integers(0, 256, size=(30, 20), dtype=np.uint8)
    check_sees(model, Problem(X8), X8, view=True)
    wide = np.random.default_rng(4).integers(0, 256, size=(30, 24), dtype=np.uint8)
    check_sees(model, Problem(wide[:, :20]), wide[:, :20], view=False)  # 24 bytes a row: copied into packed rows
    assert not Problem(X8.astype(np.float64)).is_view

def sparse_rows(seed, dtype=np.float32):
    """A (40, 20) matrix, about a third non-zero, whose last column is zero (so every index can move right by one)."""
    rng = np.random.default_rng(seed)
    X = (rng.standard_normal((40, 20)) * (rng.random((40, 20)) < 0.3)).astype(dtype)
    X[:, -1] = 0
    return X


def test_csr_int32_indices_and_float32_data_are_read_in_place(model):
    m, W, b = model
    dense = sparse_rows(8)
    Xs = sp.csr_matrix(dense)
    assert Xs.indices.dtype == np.int32 and Xs.data.dtype == np.float32 and Xs.nnz > 100
    problem = Problem(Xs)
    assert problem.is_view
    assert problem._x[1].ctypes.data == Xs.indices.ctypes.data and problem._x[2].ctypes.data == Xs.data.ctypes.data
    np.testing.assert_allclose(m.decision_function(problem), scores(W, b, dense), rtol=1e-12, atol=1e-12)
    Xs.data *= -2  # the caller's values change: the problem sees them
    np.testing.assert_allclose(m.decision_function(problem), scores(W, b, -2 * dense), rtol=1e-12, atol=1e-12)
    Xs.indices += 1  # every value moves one column right (still ascending, still inside): seen too
    shifted = np.zeros_like(dense)
    shifted[:, 1:] = -2 * dense[:, :-1]
    np.testing.assert_allclose(m.decision_function(problem), scores(W, b, shifted), rtol=1e-12, atol=1e-12)


def test_csr_int64_indices_or_float64_data_are_converted(model):
    m, W, b = model
    dense = sparse_rows(9)
    wide = sp.csr_matrix(dense)
    wide.indptr, wide.indices = wide.indptr.astype(np.int64), wide.indices.astype(np.int64)
    problem = Problem(wide)
    assert problem.is_view  # float32 data (and int64 indptr) in place, int64 indices narrowed
    assert wide.indices.dtype == np.int64
    wide.data *= 3
    wide.indices += 1  # narrowed into a copy: not seen
    np.testing.assert_allclose(m.decision_function(problem), scores(W, b, 3 * dense), rtol=1e-12, atol=1e-12)
    # float64 data is rounded into a copy (not seen), int32 indices alone still read in place; int64 + float64: all copied
    both = sp.csr_matrix(dense.astype(np.float64))
    both.indptr, both.indices = both.indptr.astype(np.int64), both.indices.astype(np.int64)  # scipy's copies narrow them
    for Xs, view in ((sp.csr_matrix(dense.astype(np.float64)), True), (both, False)):
        assert Xs.indices.dtype == (np.int64 if not view else np.int32)
        copied = Problem(Xs)
        expected = scores(W, b, Xs.toarray().astype(np.float32))
        Xs.data *= -1
        assert copied.is_view == view
        np.testing.assert_allclose(m.decision_function(copied), expected, rtol=1e-12, atol=1e-12)


def test_fit_passes_an_aligned_float32_array_without_any_copy(monkeypatch):
    rng = np.random.default_rng(4)
    X = empty_aligned((120, 48))
    X[...] = rng.standard_normal((120, 48))
    y = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 0.5)
    seen = []
    original = _native.Problem.__init__

    def recording(self, features, *args, **kwargs):
        original(self, features, *args, **kwargs)
        seen.append((self._x.ctypes.data, self.is_view))

    monkeypatch.setattr(_native.Problem, "__init__", recording)
    clf = SoftmaxClassifier(n_jobs=1).fit(X, y)
    clf.predict_proba(X)
    assert seen == [(X.ctypes.data, True)] * 2
    copied = SoftmaxClassifier(n_jobs=1).fit(X.astype(np.float64), y)
    assert seen[-1][1] is False
    np.testing.assert_array_equal(copied.coef_, clf.coef_)  # float64 is rounded to the same float32 values
