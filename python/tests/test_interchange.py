"""Models move between the softmax CLI and Python with their class names: a model the CLI trained on a CSV with
string labels predicts the CLI's labels in Python, and a model Python saved predicts Python's labels in the CLI.
SOFTMAX_CLI is the command (tests/Softmax.Native.Tests sets it to `dotnet .../Softmax.Cli.dll`)."""
import csv
import os
import shlex
import subprocess

import numpy as np
import pytest
from sklearn.datasets import load_iris

from softmax import SoftmaxClassifier

CLI = os.environ.get("SOFTMAX_CLI")
needs_cli = pytest.mark.skipif(not CLI, reason="SOFTMAX_CLI (the softmax command) is not set; "
                                                "tests/Softmax.Native.Tests sets it")


def softmax_cli(*args):
    run = subprocess.run(shlex.split(CLI) + [str(a) for a in args], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stdout


@pytest.fixture(scope="module")
def iris_csv(tmp_path_factory):
    """Iris with its species names as labels; the values written are float32's shortest round-trip strings, so the
    CLI's parser and numpy hold the same float32 features."""
    data = load_iris()
    X = data.data.astype(np.float32)
    labels = data.target_names[data.target]
    path = tmp_path_factory.mktemp("interchange") / "iris.csv"
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["sepal_length", "sepal_width", "petal_length", "petal_width", "species"])
        for row, label in zip(X, labels):
            w.writerow([str(v) for v in row] + [label])
    return path, X, labels


def cli_predictions(model, data):
    out = data.parent / (model.name + ".predictions.csv")
    softmax_cli("predict", "--model", model, "--data", data, "--output", out, "--top-k", 3)
    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    labels = np.array([r["label"] for r in rows])
    return labels, rows


@needs_cli
def test_a_cli_model_with_string_labels_predicts_the_same_in_python(iris_csv):
    path, X, labels = iris_csv
    model = path.parent / "cli.softmax"
    softmax_cli("train", "--data", path, "--model", model, "--l2", 1e-3, "--threads", 1)
    clf = SoftmaxClassifier.load_model(str(model))
    assert list(clf.classes_) == ["setosa", "versicolor", "virginica"]
    assert clf.n_features_in_ == 4
    cli_labels, rows = cli_predictions(model, path)
    np.testing.assert_array_equal(clf.predict(X), cli_labels)
    assert np.mean(cli_labels == labels) > 0.9
    # The CLI's top-3 probabilities (float32 scoring) against Python's (float64 sums), class by name.
    proba = clf.predict_proba(X)
    column = {name: i for i, name in enumerate(clf.classes_)}
    for i, r in enumerate(rows):
        for k in (1, 2, 3):
            assert abs(float(r[f"top{k}_probability"]) - proba[i, column[r[f"top{k}_label"]]]) < 1e-5


@needs_cli
def test_a_python_model_with_string_labels_predicts_the_same_in_the_cli(iris_csv):
    path, X, labels = iris_csv
    clf = SoftmaxClassifier(C=10.0, n_jobs=1).fit(X, labels)
    model = path.parent / "python.softmax"
    clf.save_model(str(model))
    cli_labels, _ = cli_predictions(model, path)
    np.testing.assert_array_equal(cli_labels, clf.predict(X))
    assert set(cli_labels) <= set(clf.classes_) and np.mean(cli_labels == labels) > 0.9
    again = SoftmaxClassifier.load_model(str(model))
    np.testing.assert_array_equal(again.classes_, clf.classes_)
    np.testing.assert_array_equal(again.predict_proba(X), clf.predict_proba(X))


def test_integer_labels_come_back_as_integers(tmp_path):
    X, y = load_iris(return_X_y=True)
    clf = SoftmaxClassifier(n_jobs=1).fit(X, y + 3)
    clf.save_model(str(tmp_path / "ints.softmax"))
    loaded = SoftmaxClassifier.load_model(str(tmp_path / "ints.softmax"))
    assert loaded.classes_.dtype.kind == "i" and list(loaded.classes_) == [3, 4, 5]
    assert loaded._model.class_names == ["3", "4", "5"]
    np.testing.assert_array_equal(loaded.predict(X), clf.predict(X))
