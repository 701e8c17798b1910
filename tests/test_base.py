import numpy as np
import pandas as pd
import pytest

from scorecause import Dataset, Prior
from scorecause.errors import DataError, PriorError


def test_dataset_rejects_nan_naming_column_and_row():
    X = np.tile(np.arange(1.0, 5.0)[:, None], (1, 2))
    X[2, 1] = np.nan
    with pytest.raises(DataError, match=r"column 'X1'.*row 2"):
        Dataset.from_array(X)


def test_dataset_do_columns_become_mask():
    df = pd.DataFrame({"a": [1.0, 2, 3], "b": [3.0, 1, 2], "do(b)": [0, 1, 0]})
    ds = Dataset.from_dataframe(df)
    assert ds.names == ["a", "b"]
    assert ds.interventions.tolist() == [[False, False], [False, True], [False, False]]
    assert ds.to_dataframe().columns.tolist() == ["a", "b", "do(b)"]


def test_prior_conflict_is_reported():
    with pytest.raises(PriorError, match="required but forbidden"):
        Prior(required=[("b", "a")], tiers=[["a"], ["b"]]).bind(["a", "b"])
