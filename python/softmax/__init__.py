"""softmax: the Softmax engine from Python (ctypes over libsoftmax, no compiled extension).

    import softmax
    clf = softmax.SoftmaxClassifier(C=1.0).fit(X, y)

The library is found through $SOFTMAX_LIBRARY (a path to libsoftmax.so), else beside this package. Fill an array from
softmax.empty_aligned((n, d)) with the features (d a multiple of 16) and the library trains on it without a copy.
"""
from ._classifier import SoftmaxClassifier
from ._model import Model, default_options
from ._native import Problem, TrainingCancelled, empty_aligned, library_path, version

__all__ = ["SoftmaxClassifier", "Model", "Problem", "TrainingCancelled", "default_options", "empty_aligned", "library_path",
           "version"]
__version__ = "0.1.0"
