"""ctypes bindings of libsoftmax (softmax.h): the library, its structs, and thin wrappers around its handles.

The library is found through the environment variable SOFTMAX_LIBRARY (a path to libsoftmax.so), else as
libsoftmax.so beside this package. Arrays are passed by pointer, never copied in Python when their rows are
contiguous (and CSR arrays in a supported dtype). Rows already in the engine's layout are not copied at all: a
C-contiguous uint8 array, or a 64-byte aligned C-contiguous float32 array whose column count is a multiple of 16
(28x28 images, ...; empty_aligned makes one: numpy's own arrays are 16-byte aligned, and the library copies those,
since rows straddling cache lines train ~15 % slower than the one copy costs), and a scipy CSR matrix's int32 indices
and float32 data (scipy's defaults; int32 indptr is widened). The library wraps them and the Problem
keeps a reference to the array, which must not change while the Problem lives (Problem.is_view says which). The
library copies other inputs once into its layout (float64 is rounded to float32; see softmax.h).
"""
import ctypes
import os
from ctypes import POINTER, byref, c_char_p, c_double, c_int, c_int32, c_int64, c_size_t, c_uint8, c_uint32, c_void_p

import numpy as np

FLOAT32, FLOAT64, UINT8, INT32, INT64 = 0, 1, 2, 3, 4
SOLVERS = {"lbfgs": 0, "sgd": 1, "adam": 2}
PRECISIONS = {"auto": 0, "float32": 1, "float64": 2}
PREPROCESS = {"none": 0, "scale": 1, "center": 2, "standardize": 3}


class Options(ctypes.Structure):
    """softmax_options."""
    _fields_ = [
        ("size", c_uint32), ("solver", c_int32), ("l2", c_double), ("l1", c_double), ("tol", c_double),
        ("max_iter", c_int32), ("epochs", c_int32), ("lr", c_double), ("batch_size", c_int32),
        ("momentum", c_double), ("seed", c_int32), ("threads", c_int32), ("precision", c_int32),
        ("preprocess", c_int32), ("preprocess_scale", c_double), ("class_weights", POINTER(c_double)),
        ("n_class_weights", c_int32), ("balanced", c_int32),
    ]


class Progress(ctypes.Structure):
    """softmax_progress."""
    _fields_ = [("iteration", c_int32), ("epoch", c_int32), ("loss", c_double), ("gradient_norm", c_double),
                ("elapsed_seconds", c_double)]


class TrainingInfo(ctypes.Structure):
    """softmax_training_info."""
    _fields_ = [("iterations", c_int32), ("epochs", c_int32), ("objective", c_double), ("seconds", c_double),
                ("stop_reason", c_int32)]


PROGRESS_FN = ctypes.CFUNCTYPE(c_int, POINTER(Progress), c_void_p)


class TrainingCancelled(Exception):
    """The progress callback stopped training; `model` holds the weights so far."""

    def __init__(self, message, model):
        super().__init__(message)
        self.model = model


_ERRORS = {-1: ValueError, -2: OSError, -3: ValueError, -4: BufferError, -5: FloatingPointError, -7: MemoryError}
_lib = None


def library_path():
    """Where the library is looked for: $SOFTMAX_LIBRARY, else libsoftmax.so beside this package."""
    return os.environ.get("SOFTMAX_LIBRARY") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "libsoftmax.so")


def lib():
    """The loaded library (loaded once, with its function signatures declared)."""
    global _lib
    if _lib is None:
        path = library_path()
        if not os.path.isfile(path):
            raise ImportError(
                f"libsoftmax not found at {path}. Build it with `dotnet publish src/Softmax.Native -c Release -r linux-x64 "
                "-p:PublishAot=true` and set SOFTMAX_LIBRARY to the .so, or copy it beside the softmax package.")
        _lib = _declare(ctypes.CDLL(path))
    return _lib


def _declare(so):
    P, H = c_void_p, POINTER(c_void_p)
    signatures = {
        "softmax_version": (c_char_p, []),
        "softmax_api_version": (c_int, []),
        "softmax_last_error": (c_char_p, []),
        "softmax_options_init": (None, [POINTER(Options)]),
        "softmax_problem_dense": (c_int, [P, c_int32, c_int64, c_int64, c_int64, P, P, c_int32, H]),
        "softmax_problem_csr": (c_int, [P, P, c_int32, P, c_int32, c_int64, c_int64, P, P, c_int32, H]),
        "softmax_problem_load": (c_int, [c_char_p, c_int32, H]),
        "softmax_problem_shape": (c_int, [P, POINTER(c_int64), POINTER(c_int64), POINTER(c_int32)]),
        "softmax_problem_is_view": (c_int, [P]),
        "softmax_padded_cols": (c_int64, [c_int64]),
        "softmax_model_class_name": (c_int, [P, c_int32, P, c_size_t, POINTER(c_size_t)]),
        "softmax_model_with_class_names": (c_int, [P, POINTER(c_char_p), c_int32, H]),
        "softmax_problem_free": (None, [P]),
        "softmax_train": (c_int, [P, POINTER(Options), P, PROGRESS_FN, P, H]),
        "softmax_model_shape": (c_int, [P, POINTER(c_int32), POINTER(c_int32)]),
        "softmax_model_training_info": (c_int, [P, POINTER(TrainingInfo)]),
        "softmax_model_coefficients": (c_int, [P, P, P]),
        "softmax_model_from_coefficients": (c_int, [P, P, c_int32, c_int32, H]),
        "softmax_predict": (c_int, [P, P, P]),
        "softmax_predict_proba": (c_int, [P, P, P]),
        "softmax_predict_log_proba": (c_int, [P, P, P]),
        "softmax_decision_function": (c_int, [P, P, P]),
        "softmax_model_score": (c_int, [P, P, POINTER(c_double)]),
        "softmax_model_save": (c_int, [P, c_char_p]),
        "softmax_model_load": (c_int, [c_char_p, H]),
        "softmax_model_to_bytes": (c_int, [P, P, c_size_t, POINTER(c_size_t)]),
        "softmax_model_from_bytes": (c_int, [P, c_size_t, H]),
        "softmax_model_free": (None, [P]),
    }
    for name, (restype, argtypes) in signatures.items():
        f = getattr(so, name)
        f.restype, f.argtypes = restype, argtypes
    return so


def check(status):
    """Raises the Python exception for a nonzero status, with the library's message."""
    if status == 0:
        return
    message = lib().softmax_last_error().decode("utf-8", "replace")
    raise _ERRORS.get(status, RuntimeError)(message)


def version():
    """The library's version string."""
    return lib().softmax_version().decode()


def _ptr(array):
    return None if array is None else c_void_p(array.ctypes.data)


def empty_aligned(shape, dtype=np.float32):
    """An uninitialised C-contiguous array whose data start on a 64-byte boundary: float32 rows of a multiple of 16
    columns in such an array are the engine's layout, which the library trains on and scores without a copy."""
    dtype = np.dtype(dtype)
    count = int(np.prod(shape, dtype=np.int64))
    raw = np.empty(count * dtype.itemsize + 64, dtype=np.uint8)
    start = -raw.ctypes.data % 64
    return raw[start:start + count * dtype.itemsize].view(dtype).reshape(shape)


def _rows_in_place(X):
    """Whether the library can read X's rows where they are: each row contiguous, rows a whole number of elements apart
    in increasing order (C-contiguous arrays, row slices X[a:b:k], column slices of a wider array)."""
    row, column = X.strides
    return column == X.itemsize and row % X.itemsize == 0 and (X.shape[0] <= 1 or row >= X.shape[1] * X.itemsize)


class Problem:
    """Features (dense numpy or scipy CSR), optional int32 labels 0..C-1 and sample weights, as a library handle."""

    def __init__(self, X, y=None, sample_weight=None, n_classes=0):
        self.handle = c_void_p()
        n = X.shape[0]
        y = None if y is None else np.ascontiguousarray(y, dtype=np.int32)
        sw = None if sample_weight is None else np.ascontiguousarray(sample_weight, dtype=np.float64)
        for name, a in (("y", y), ("sample_weight", sw)):
            if a is not None and a.shape != (n,):
                raise ValueError(f"{name} has shape {a.shape}; expected ({n},)")
        if hasattr(X, "indptr"):
            self._csr(X, y, sw, n_classes)
        else:
            X = np.asarray(X)
            if X.dtype not in (np.float32, np.float64, np.uint8):
                X = X.astype(np.float64)
            if X.ndim != 2:
                raise ValueError(f"X must be 2-D, not {X.ndim}-D")
            if X.size and not _rows_in_place(X):
                X = np.ascontiguousarray(X)  # documented conversion: the library reads rows of contiguous values
            dtype = {np.dtype(np.float32): FLOAT32, np.dtype(np.float64): FLOAT64, np.dtype(np.uint8): UINT8}[X.dtype]
            stride = X.strides[0] // X.itemsize if X.shape[0] > 1 else 0
            self._x = X  # the library may read X in place until the handle is freed (see is_view)
            check(lib().softmax_problem_dense(_ptr(X), dtype, X.shape[0], X.shape[1], stride, _ptr(y), _ptr(sw),
                                              n_classes, byref(self.handle)))

    def _csr(self, X, y, sw, n_classes):
        if X.format != "csr":
            X = X.tocsr()
        if not X.has_canonical_format:
            X = X.copy()
            X.sum_duplicates()  # sorts the columns of each row, as the library requires
        index = np.int64 if np.int64 in (X.indptr.dtype, X.indices.dtype) else np.int32
        indptr, indices = np.ascontiguousarray(X.indptr, dtype=index), np.ascontiguousarray(X.indices, dtype=index)
        data = X.data if X.data.dtype in (np.float32, np.float64) else X.data.astype(np.float64)
        data = np.ascontiguousarray(data)
        self._x = (indptr, indices, data)  # the library may read these in place until the handle is freed (see is_view)
        check(lib().softmax_problem_csr(_ptr(indptr), _ptr(indices), INT64 if index is np.int64 else INT32, _ptr(data),
                                        FLOAT32 if data.dtype == np.float32 else FLOAT64, X.shape[0], X.shape[1],
                                        _ptr(y), _ptr(sw), n_classes, byref(self.handle)))

    @classmethod
    def load(cls, source, part=0):
        """A data file the CLI reads, or a named set ("digits"); part 1 is a named set's test part."""
        p = cls.__new__(cls)
        p.handle = c_void_p()
        check(lib().softmax_problem_load(os.fsencode(source), part, byref(p.handle)))
        return p

    @property
    def is_view(self):
        """True when the library reads the caller's array in place (no copy was made): keep it unchanged."""
        status = lib().softmax_problem_is_view(self.handle)
        check(min(status, 0))
        return status == 1

    @property
    def shape(self):
        rows, cols, classes = c_int64(), c_int64(), c_int32()
        check(lib().softmax_problem_shape(self.handle, byref(rows), byref(cols), byref(classes)))
        return rows.value, cols.value, classes.value

    def __del__(self):
        if getattr(self, "handle", None) and _lib is not None:
            _lib.softmax_problem_free(self.handle)
            self.handle = None
