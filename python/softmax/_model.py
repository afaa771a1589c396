"""softmax.Model: a trained model handle of libsoftmax (train, predict, coefficients, the model file format)."""
import ctypes
import os
from ctypes import byref, c_double, c_int32, c_size_t, c_void_p

import numpy as np

from . import _native as n


class Model:
    """A libsoftmax model. Moves between C, Python, .NET and the CLI through the model file format."""

    def __init__(self, handle):
        self.handle = handle

    @classmethod
    def train(cls, problem, options=None, warm_start=None, progress=None):
        """Trains on a Problem. options: an _native.Options (softmax_options_init's defaults when None).
        progress: None or a function(Progress) -> bool; True stops training (raises TrainingCancelled)."""
        if options is None:
            options = default_options()
        callback = n.PROGRESS_FN(lambda p, _: 1 if progress(p.contents) else 0) if progress else n.PROGRESS_FN()
        handle = c_void_p()
        status = n.lib().softmax_train(problem.handle, byref(options), warm_start.handle if warm_start else None,
                                       callback, None, byref(handle))
        if status == -6:
            raise n.TrainingCancelled(n.lib().softmax_last_error().decode(), cls(handle))
        n.check(status)
        return cls(handle)

    @classmethod
    def from_coefficients(cls, coef, intercept):
        """A model scoring x -> coef @ x + intercept (coef: n_classes x n_features)."""
        coef = np.ascontiguousarray(coef, dtype=np.float64)
        intercept = np.ascontiguousarray(intercept, dtype=np.float64)
        if coef.ndim != 2 or intercept.shape != (coef.shape[0],):
            raise ValueError(f"coef {coef.shape} and intercept {intercept.shape} do not match")
        handle = c_void_p()
        n.check(n.lib().softmax_model_from_coefficients(n._ptr(coef), n._ptr(intercept), coef.shape[0], coef.shape[1],
                                                        byref(handle)))
        return cls(handle)

    @classmethod
    def load(cls, path):
        """Reads a model file (written by the CLI, .NET, C or Python)."""
        handle = c_void_p()
        n.check(n.lib().softmax_model_load(os.fsencode(path), byref(handle)))
        return cls(handle)

    @classmethod
    def from_bytes(cls, data):
        """Parses the bytes of a model file."""
        data = bytes(data)
        handle = c_void_p()
        n.check(n.lib().softmax_model_from_bytes(data, len(data), byref(handle)))
        return cls(handle)

    def save(self, path):
        """Writes the model file atomically (temporary file, then rename)."""
        n.check(n.lib().softmax_model_save(self.handle, os.fsencode(path)))

    def to_bytes(self):
        """The model file's bytes."""
        size = c_size_t()
        n.check(n.lib().softmax_model_to_bytes(self.handle, None, 0, byref(size)))
        buffer = (np.zeros(size.value, dtype=np.uint8))
        n.check(n.lib().softmax_model_to_bytes(self.handle, n._ptr(buffer), size.value, byref(size)))
        return buffer.tobytes()

    @property
    def shape(self):
        """(n_classes, n_features)."""
        classes, features = c_int32(), c_int32()
        n.check(n.lib().softmax_model_shape(self.handle, byref(classes), byref(features)))
        return classes.value, features.value

    @property
    def class_names(self):
        """The class names stored in the model (what the CLI prints), by class index."""
        names = []
        for i in range(self.shape[0]):
            size = c_size_t()
            n.check(n.lib().softmax_model_class_name(self.handle, i, None, 0, byref(size)))
            buffer = ctypes.create_string_buffer(size.value)
            n.check(n.lib().softmax_model_class_name(self.handle, i, buffer, size.value, byref(size)))
            names.append(buffer.value.decode("utf-8"))
        return names

    def with_class_names(self, names):
        """A new model with class i named names[i] (distinct, non-empty strings)."""
        encoded = (ctypes.c_char_p * len(names))(*[str(name).encode("utf-8") for name in names])
        handle = c_void_p()
        n.check(n.lib().softmax_model_with_class_names(self.handle, encoded, len(names), byref(handle)))
        return Model(handle)

    @property
    def training_info(self):
        """softmax_training_info: iterations, epochs, objective, seconds."""
        info = n.TrainingInfo()
        n.check(n.lib().softmax_model_training_info(self.handle, byref(info)))
        return info

    def coefficients(self):
        """(coef: n_classes x n_features, intercept: n_classes), float64."""
        classes, features = self.shape
        coef, intercept = np.empty((classes, features)), np.empty(classes)
        n.check(n.lib().softmax_model_coefficients(self.handle, n._ptr(coef), n._ptr(intercept)))
        return coef, intercept

    def _rows(self, function, problem, dtype):
        rows, _, _ = problem.shape
        out = np.empty((rows, self.shape[0]) if dtype is np.float64 else rows, dtype=dtype)
        n.check(function(self.handle, problem.handle, n._ptr(out)))
        return out

    def predict(self, problem):
        """Class index of each row (ties: the lowest)."""
        return self._rows(n.lib().softmax_predict, problem, np.int32)

    def predict_proba(self, problem):
        return self._rows(n.lib().softmax_predict_proba, problem, np.float64)

    def predict_log_proba(self, problem):
        return self._rows(n.lib().softmax_predict_log_proba, problem, np.float64)

    def decision_function(self, problem):
        return self._rows(n.lib().softmax_decision_function, problem, np.float64)

    def score(self, problem):
        """Accuracy on a labelled problem (labels matched to classes by name)."""
        accuracy = c_double()
        n.check(n.lib().softmax_model_score(self.handle, problem.handle, byref(accuracy)))
        return accuracy.value

    def __del__(self):
        if getattr(self, "handle", None) and n._lib is not None:
            n._lib.softmax_model_free(self.handle)
            self.handle = None


def default_options(**fields):
    """softmax_options with softmax_options_init's defaults, then the given fields."""
    options = n.Options()
    n.lib().softmax_options_init(byref(options))
    for key, value in fields.items():
        setattr(options, key, value)
    return options
