"""scikit-learn's own estimator checks, every one of them, on the default SoftmaxClassifier."""
from sklearn.utils.estimator_checks import parametrize_with_checks

from softmax import SoftmaxClassifier


@parametrize_with_checks([SoftmaxClassifier()])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_no_check_is_marked_as_expected_to_fail():
    assert SoftmaxClassifier()._get_tags().get("_xfail_checks", {}) in ({}, None, False)
