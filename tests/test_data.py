"""Dataset / validate_data / Prior: every bad-input class raises a clear error; files round-trip."""

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scorecause import Dataset, Prior
from scorecause.data import as_dataset, as_prior, validate_data
from scorecause.errors import DataError, PriorError


def _X(n=6, d=3, seed=0):
    return np.random.default_rng(seed).normal(size=(n, d))


# --------------------------------------------------------------------------------------------
# bad input -> DataError naming the problem
# --------------------------------------------------------------------------------------------
def test_dataset_rejects_nan_naming_column_and_row():
    X = np.tile(np.arange(1.0, 5.0)[:, None], (1, 2))
    X[2, 1] = np.nan
    with pytest.raises(DataError, match=r"column 'X1'.*row 2"):
        Dataset.from_array(X)


def test_inf_names_column_row_and_count():
    X = _X()
    X[4, 0] = np.inf
    X[5, 0] = -np.inf
    with pytest.raises(DataError, match=r"column 'a' has a non-finite value \(inf\) at row 4 \(2 such cell"):
        Dataset.from_array(X, names=["a", "b", "c"])


def test_nan_in_dataframe_names_column():
    df = pd.DataFrame({"a": [1.0, 2, 3], "b": [1.0, None, 2]})
    with pytest.raises(DataError, match=r"column 'b'.*row 1.*impute"):
        Dataset.from_dataframe(df)


def test_non_numeric_dataframe_column():
    df = pd.DataFrame({"a": [1.0, 2, 3], "city": ["x", "y", "z"]})
    with pytest.raises(DataError, match=r"column 'city' is not numeric.*'x'"):
        Dataset.from_dataframe(df)


def test_non_numeric_object_array_names_cell():
    X = np.array([[1, 2], [3, "oops"], [5, 6]], dtype=object)
    with pytest.raises(DataError, match=r"column 'b' is not numeric: value 'oops' at row 1"):
        Dataset.from_array(X, names=["a", "b"])


def test_complex_data_rejected():
    with pytest.raises(DataError, match="complex"):
        validate_data(_X().astype(complex))


def test_constant_column():
    X = _X()
    X[:, 1] = 3.0
    with pytest.raises(DataError, match=r"column 'X1' is constant \(value 3.0\).*drop it"):
        Dataset.from_array(X)
    # allowed explicitly (e.g. a hard intervention fixing a variable everywhere)
    assert Dataset.from_array(X, meta={"allow_constant": True}).d == 3


@pytest.mark.parametrize("shape, msg", [((1, 3), "at least 2 rows"), ((5, 1), "at least 2 columns"),
                                        ((0, 3), "at least 2 rows")])
def test_too_few_rows_or_columns(shape, msg):
    with pytest.raises(DataError, match=msg):
        validate_data(np.ones(shape) * np.arange(shape[1]))


def test_one_dimensional_input_hint():
    with pytest.raises(DataError, match=r"2-D table.*reshape"):
        validate_data(np.arange(5.0))


def test_duplicate_and_empty_names():
    with pytest.raises(DataError, match=r"duplicate variable name 'a' \(columns 0 and 2\)"):
        Dataset.from_array(_X(), names=["a", "b", "a"])
    with pytest.raises(DataError, match="column 1 has an empty name"):
        Dataset.from_array(_X(), names=["a", " ", "c"])
    with pytest.raises(DataError, match="2 variable names given for 3 columns"):
        Dataset.from_array(_X(), names=["a", "b"])
    df = pd.DataFrame(_X(), columns=["a", "b", "a"])
    with pytest.raises(DataError, match="duplicate column name 'a'"):
        Dataset.from_dataframe(df)


def test_mask_wrong_shape_or_values():
    with pytest.raises(DataError, match=r"intervention mask has shape \(6, 2\) but the data is 6 x 3"):
        Dataset.from_array(_X(), interventions=np.zeros((6, 2), dtype=bool))
    bad = np.zeros((6, 3))
    bad[3, 2] = 0.5
    with pytest.raises(DataError, match=r"intervention mask for 'X2' has value .*0.5.* at row 3"):
        Dataset.from_array(_X(), interventions=bad)
    ok = np.zeros((6, 3), dtype=int)
    ok[0, 0] = 1
    assert Dataset.from_array(_X(), interventions=ok).interventions.dtype == bool


def test_environment_labels_checked():
    with pytest.raises(DataError, match=r"environment labels have shape \(5,\)"):
        Dataset.from_array(_X(), environments=np.zeros(5))
    env = np.array(["a", "a", None, "b", "b", "b"], dtype=object)
    with pytest.raises(DataError, match="environment label missing at row 2"):
        Dataset.from_array(_X(), environments=env)


@pytest.mark.parametrize("values, shown", [([0, 2, 0, 1, 0, 0], "2 at row 1"),
                                           (["no", "yes", "no", "no", "no", "no"], "'no' at row 0"),
                                           ([0, 1, None, 0, 0, 0], "at row 2")])
def test_bad_do_column_values(values, shown):
    df = pd.DataFrame(_X(), columns=["a", "b", "c"])
    df["do(b)"] = values
    with pytest.raises(DataError, match=rf"intervention column 'do\(b\)' must hold 0/1.*{shown}"):
        Dataset.from_dataframe(df)


def test_do_column_for_unknown_variable_and_double_mask():
    df = pd.DataFrame(_X(), columns=["a", "b", "c"])
    df["do(z)"] = 0
    with pytest.raises(DataError, match=r"'do\(z\)' names no variable"):
        Dataset.from_dataframe(df)
    df = pd.DataFrame(_X(), columns=["a", "b", "c"])
    df["do(a)"] = 0
    with pytest.raises(DataError, match="either as do"):
        Dataset.from_dataframe(df, interventions=np.zeros((6, 3), dtype=bool))


def test_missing_explicit_env_column_and_saved_index():
    df = pd.DataFrame(_X(), columns=["a", "b", "c"])
    with pytest.raises(DataError, match="environment column 'regime' not found"):
        Dataset.from_dataframe(df, env_column="regime")
    df.insert(0, "Unnamed: 0", np.arange(6))
    with pytest.raises(DataError, match="saved row index"):
        Dataset.from_dataframe(df)


def test_truth_shape_checked_and_cycles_allowed():
    from scorecause.errors import GraphError

    with pytest.raises(GraphError, match="2 nodes but the data has 3"):
        Dataset.from_array(_X(), truth=np.zeros((2, 2)))
    cyc = np.array([[0, 1, 0], [0, 0, 1], [1, 0, 0]])
    assert Dataset.from_array(_X(), truth=cyc).truth.dtype == np.int8


def test_file_errors(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        Dataset.from_file(tmp_path / "missing.csv")
    (tmp_path / "x.xlsx").write_text("a,b\n1,2\n")
    with pytest.raises(DataError, match="unsupported data file suffix '.xlsx'"):
        Dataset.from_file(tmp_path / "x.xlsx")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(DataError, match="is empty"):
        Dataset.from_file(tmp_path / "empty.csv")
    with pytest.raises(DataError, match="unsupported data file suffix"):
        Dataset.from_array(_X()).to_file(tmp_path / "out.xlsx")
    assert not (tmp_path / "out.xlsx").exists()


# --------------------------------------------------------------------------------------------
# constructors, conventions, round trips
# --------------------------------------------------------------------------------------------
def test_dataset_do_columns_become_mask():
    df = pd.DataFrame({"a": [1.0, 2, 3], "b": [3.0, 1, 2], "do(b)": [0, 1, 0]})
    ds = Dataset.from_dataframe(df)
    assert ds.names == ["a", "b"]
    assert ds.interventions.tolist() == [[False, False], [False, True], [False, False]]
    assert ds.to_dataframe().columns.tolist() == ["a", "b", "do(b)"]


def test_boolean_do_column_and_env_column():
    df = pd.DataFrame({"a": [1.0, 2, 3, 4], "b": [3.0, 1, 2, 0], "do(a)": [False, True, True, False],
                       "env": ["obs", "int", "int", "obs"]})
    ds = Dataset.from_dataframe(df)
    assert ds.names == ["a", "b"]
    assert ds.interventions[:, 0].tolist() == [False, True, True, False]
    assert ds.environments.tolist() == ["obs", "int", "int", "obs"]
    assert ds.observational_rows.tolist() == [True, False, False, True]
    assert ds.observational().n == 2 and ds.observational().interventions is None
    parts = ds.by_environment()
    assert list(parts) == ["obs", "int"] and parts["int"].X[:, 0].tolist() == [2.0, 3.0]


def test_custom_env_column_name():
    df = pd.DataFrame({"a": [1.0, 2, 3], "b": [3.0, 1, 2], "regime": [0, 0, 1]})
    ds = Dataset.from_dataframe(df, env_column="regime")
    assert ds.names == ["a", "b"] and ds.environments.tolist() == [0, 0, 1]
    assert Dataset.from_dataframe(df, env_column=None).names == ["a", "b", "regime"]


def test_from_array_and_as_dataset():
    X = _X()
    ds = Dataset.from_array(X)
    assert ds.names == ["X0", "X1", "X2"] and ds.X.dtype == np.float64
    assert as_dataset(ds) is ds
    df = pd.DataFrame(X, columns=["p", "q", "r"])
    assert as_dataset(df).names == ["p", "q", "r"]
    assert as_dataset(X, names=["u", "v", "w"]).names == ["u", "v", "w"]
    mask = np.zeros((6, 3), dtype=bool)
    mask[0, 1] = True
    assert as_dataset(ds, interventions=mask).interventions[0, 1]
    assert validate_data(df)[1] == ["p", "q", "r"]


def test_standardisation_is_invertible():
    X = _X(50, 3) * [1.0, 10.0, 0.1] + [0.0, 5.0, -2.0]
    ds = Dataset.from_array(X, standardize=True)
    np.testing.assert_allclose(ds.X.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(ds.X.std(axis=0), 1, atol=1e-12)
    st = ds.meta["standardization"]
    np.testing.assert_allclose(ds.X * st["scale"] + st["mean"], X, atol=1e-12)
    df = pd.DataFrame(X, columns=list("abc"))
    np.testing.assert_allclose(Dataset.from_dataframe(df, standardize=True).X, ds.X)


def _rich_dataset():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(8, 3))
    mask = np.zeros((8, 3), dtype=bool)
    mask[2:4, 1] = True
    mask[6, 2] = True
    env = np.array([0, 0, 1, 1, 0, 0, 2, 0])
    return Dataset.from_array(X, names=["a", "b c", "d"], interventions=mask, environments=env)


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz", ".tsv", ".parquet"])
def test_round_trip_files(tmp_path, suffix):
    ds = _rich_dataset()
    path = ds.to_file(tmp_path / f"data{suffix}")
    back = Dataset.from_file(path)
    assert back.names == ds.names
    np.testing.assert_array_equal(back.X, ds.X)  # exact: pandas writes shortest round-trip floats
    np.testing.assert_array_equal(back.interventions, ds.interventions)
    np.testing.assert_array_equal(back.environments, ds.environments)
    assert back.meta["source"] == str(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"data{suffix}"]  # no temporary file left
    if suffix == ".csv.gz":
        assert path.read_bytes()[:2] == b"\x1f\x8b"  # really gzip, not text with a .gz name


def test_to_file_name_clash_and_atomicity(tmp_path):
    ds = Dataset.from_array(_X(), names=["env", "b", "c"], environments=np.zeros(6))
    with pytest.raises(DataError, match="clashes with the file convention"):
        ds.to_file(tmp_path / "x.csv")
    assert list(tmp_path.iterdir()) == []


def test_subset_keeps_names_truth_and_allows_constant():
    X = _X()
    X[:3, 0] = 1.0  # constant within the first three rows only
    truth = np.zeros((3, 3))
    truth[0, 1] = 1
    ds = Dataset.from_array(X, names=list("abc"), truth=truth)
    sub = ds.subset(np.arange(3))
    assert sub.n == 3 and sub.names == ["a", "b", "c"] and sub.truth[0, 1] == 1
    assert "truth with 1 edges" in repr(sub)


# --------------------------------------------------------------------------------------------
# Prior
# --------------------------------------------------------------------------------------------
def test_prior_conflict_is_reported():
    with pytest.raises(PriorError, match="required but forbidden"):
        Prior(required=[("b", "a")], tiers=[["a"], ["b"]]).bind(["a", "b"])


def test_prior_unknown_names_and_indices():
    with pytest.raises(PriorError, match=r"required edge \('a', 'z'\): unknown variable 'z'"):
        Prior(required=[("a", "z")]).bind(["a", "b"])
    with pytest.raises(PriorError, match="index 5 out of range for 2 variables"):
        Prior(forbidden=[(0, 5)]).bind(["a", "b"])
    with pytest.raises(PriorError, match="tier 1: unknown variable 'q'"):
        Prior(tiers=[["a"], ["q"]]).bind(["a", "b"])


def test_prior_required_and_forbidden_directly():
    with pytest.raises(PriorError, match="edge a -> b is required but forbidden"):
        Prior(required=[("a", "b")], forbidden=[("a", "b")]).bind(["a", "b", "c"])


def test_prior_tier_conflicts():
    with pytest.raises(PriorError, match="'a' appears in tiers 0 and 1"):
        Prior(tiers=[["a", "b"], ["a"]]).bind(["a", "b"])
    with pytest.raises(PriorError, match="tier 0 must be a list of variables"):
        Prior(tiers=["ab"]).bind(["a", "b"])


def test_prior_required_cycle_names_nodes():
    p = Prior(required=[("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")])
    with pytest.raises(PriorError, match=r"directed cycle among \['a', 'b', 'c'\]"):
        p.bind(["a", "b", "c", "d"])


def test_prior_bad_edges():
    with pytest.raises(PriorError, match="self-loop"):
        Prior(required=[("a", "a")]).bind(["a", "b"])
    with pytest.raises(PriorError, match="must be a pair"):
        Prior(required=[("a", "b", "c")]).bind(["a", "b", "c"])
    with pytest.raises(PriorError, match="must be a pair"):
        Prior(required=["ab"]).bind(["a", "b"])


def test_prior_bind_and_precedence():
    p = Prior(required=["a -> b"], forbidden=[("c", "a")], tiers=[["a"], ["b", "c"]])
    req, forb = p.bind(["a", "b", "c"])
    assert req.tolist() == [[False, True, False], [False, False, False], [False, False, False]]
    # forbidden: c -> a explicitly, and by tiers b -> a, c -> a
    assert forb.tolist() == [[False, False, False], [True, False, False], [True, False, False]]
    P = Prior(required=[("a", "b"), ("b", "c")]).precedence(["a", "b", "c"])
    assert P[0, 2] and P[0, 1] and P[1, 2] and not P[2, 0]


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_prior_files(tmp_path, fmt):
    spec = {"required": [["a", "b"]], "forbidden": ["c -> a"], "tiers": [["a"], ["b", "c"]]}
    path = tmp_path / f"prior.{fmt}"
    if fmt == "json":
        path.write_text(json.dumps(spec))
    else:
        path.write_text("required:\n  - [a, b]\nforbidden:\n  - c -> a\ntiers:\n  - [a]\n  - [b, c]\n")
    p = as_prior(path)
    assert p.to_dict() == {"required": [["a", "b"]], "forbidden": [["c", "a"]], "tiers": [["a"], ["b", "c"]]}
    assert p.bind(["a", "b", "c"])[0][0, 1]


def test_prior_file_errors(tmp_path):
    with pytest.raises(PriorError, match="does not exist"):
        Prior.from_file(tmp_path / "nope.yaml")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(PriorError, match="cannot parse prior file"):
        Prior.from_file(tmp_path / "bad.json")
    (tmp_path / "list.yaml").write_text("- a\n- b\n")
    with pytest.raises(PriorError, match="must hold a mapping"):
        Prior.from_file(tmp_path / "list.yaml")
    (tmp_path / "typo.yaml").write_text("requird:\n  - [a, b]\n")
    with pytest.raises(PriorError, match=r"unknown prior key\(s\) \['requird'\]"):
        Prior.from_file(tmp_path / "typo.yaml")
    (tmp_path / "empty_keys.yaml").write_text("required:\nforbidden:\n")
    assert Prior.from_file(tmp_path / "empty_keys.yaml").is_empty()
    with pytest.raises(PriorError, match="must be a Prior, dict or file path"):
        as_prior(42)


# --------------------------------------------------------------------------------------------
# property: any valid table round-trips through CSV and Parquet
# --------------------------------------------------------------------------------------------


@st.composite
def _tables(draw):
    n = draw(st.integers(2, 12))
    d = draw(st.integers(2, 4))
    floats = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False, allow_subnormal=False)
    X = np.array(draw(st.lists(st.lists(floats, min_size=d, max_size=d), min_size=n, max_size=n)))
    X[0] = np.arange(d)  # no constant column: rows 0 and 1 differ in every column
    X[1] = np.arange(d) + 1.5
    mask = np.array(draw(st.lists(st.lists(st.booleans(), min_size=d, max_size=d), min_size=n, max_size=n)))
    env = np.array(draw(st.lists(st.sampled_from(["obs", "a", "b"]), min_size=n, max_size=n)))
    names = draw(st.lists(st.text("abcXYZ_ 1", min_size=1, max_size=5).filter(lambda s: s.strip() == s),
                          min_size=d, max_size=d, unique=True))
    return Dataset.from_array(X, names=names, interventions=mask, environments=env)


@settings(max_examples=25, deadline=None)
@given(ds=_tables(), suffix=st.sampled_from([".csv", ".parquet"]))
def test_round_trip_property(tmp_path_factory, ds, suffix):
    path = ds.to_file(tmp_path_factory.mktemp("rt") / f"d{suffix}")
    back = Dataset.from_file(path)
    assert back.names == ds.names
    np.testing.assert_array_equal(back.X, ds.X)
    np.testing.assert_array_equal(back.environments, ds.environments)
    expected = ds.interventions if ds.interventions.any() else None
    if expected is None:
        assert back.interventions is None
    else:
        np.testing.assert_array_equal(back.interventions, expected)


# --------------------------------------------------------------------------------------------
# file readers: what pandas would silently get wrong
# --------------------------------------------------------------------------------------------
def test_duplicate_header_names_are_an_error_not_renamed(tmp_path):
    (tmp_path / "dup.csv").write_text("a,b,a,b,c\n1,2,3,4,5\n2,1,5,3,3\n")
    with pytest.raises(DataError, match=r"duplicate column names \['a', 'b'\]"):
        Dataset.from_file(tmp_path / "dup.csv")
    (tmp_path / "ok.csv").write_text("a,a.1\n1,2\n2,1\n")  # a real name that looks like pandas' renaming
    assert Dataset.from_file(tmp_path / "ok.csv").names == ["a", "a.1"]


def test_unnamed_header_cells_are_an_error_not_unnamed_variables(tmp_path):
    pd.DataFrame({"a": [1.0, 2.0, 4.0], "b": [0.5, 0.1, 0.7]}, index=[10, 20, 30]).to_csv(tmp_path / "ix.csv")
    with pytest.raises(DataError, match=r"column 0 \(counting from 0\) has no name.*index=False"):
        Dataset.from_file(tmp_path / "ix.csv")
    (tmp_path / "trailing.csv").write_text("a,b,\n1,2,\n3,1,\n")
    with pytest.raises(DataError, match="column 2 .* has no name"):
        Dataset.from_file(tmp_path / "trailing.csv")


def test_header_only_file_says_it_has_no_rows(tmp_path):
    (tmp_path / "h.csv").write_text("a,b,c\n")
    with pytest.raises(DataError, match=r"has no rows, only the header \['a', 'b', 'c'\]"):
        Dataset.from_file(tmp_path / "h.csv")


@pytest.mark.parametrize("name, compression", [("gz.csv", "gzip"), ("bz.tsv", "bz2"), ("xz.csv", "xz"),
                                               ("plain.csv.gz", None), ("pq.csv", "parquet")])
def test_compression_is_read_from_the_content_not_the_name(tmp_path, name, compression):
    df = pd.DataFrame({"a": [0.5, 1.5, -2.0], "b": [3.0, 1.0, 2.0]})
    path = tmp_path / name
    if compression == "parquet":
        df.to_parquet(path)
    else:
        df.to_csv(path, index=False, sep="\t" if ".tsv" in name else ",", compression=compression)
    ds = Dataset.from_file(path)
    assert ds.names == ["a", "b"] and np.array_equal(ds.X, df.to_numpy())
