"""Tests for scorecause.graph: DAG utilities, CPDAG, converters, file formats (A[i, j] = 1 means i -> j)."""

import itertools
import json
import os

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scorecause.errors import GraphError
from scorecause.graph import (
    ancestors,
    as_adjacency,
    children,
    dag_to_cpdag,
    descendants,
    from_causallearn,
    from_lingam,
    from_networkx,
    from_pcalg,
    is_dag,
    most_probable_dag,
    parents,
    read_graph,
    to_causallearn,
    to_lingam,
    to_networkx,
    to_pcalg,
    topological_order,
    transitive_closure,
    transitive_reduction,
    write_graph,
)

CHAIN = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]], dtype=np.int8)  # 0 -> 1 -> 2
VSTRUCT = np.array([[0, 0, 1], [0, 0, 1], [0, 0, 0]], dtype=np.int8)  # 0 -> 2 <- 1


@st.composite
def dags(draw, max_d=7):
    """Random DAG: random upper-triangular edges, then a random relabelling (index order != causal order)."""
    d = draw(st.integers(1, max_d))
    bits = draw(st.lists(st.booleans(), min_size=d * (d - 1) // 2, max_size=d * (d - 1) // 2))
    A = np.zeros((d, d), dtype=np.int8)
    A[np.triu_indices(d, 1)] = bits
    perm = np.array(draw(st.permutations(range(d))), dtype=int)
    return A[np.ix_(perm, perm)]


# --- neighbourhoods, closure, reduction ---


def test_parents_children_ancestors_descendants():
    A = np.zeros((5, 5), dtype=np.int8)
    for i, j in [(0, 1), (1, 2), (3, 2), (2, 4)]:
        A[i, j] = 1
    assert parents(A, 2) == [1, 3]
    assert children(A, 2) == [4]
    assert parents(A, 0) == [] and children(A, 4) == []
    assert ancestors(A, 4) == {0, 1, 2, 3}
    assert ancestors(A, 0) == set()
    assert descendants(A, 0) == {1, 2, 4}
    assert descendants(A, 3) == {2, 4}


def test_node_index_errors():
    with pytest.raises(GraphError, match=r"\[0, 2\]"):
        parents(CHAIN, 3)
    with pytest.raises(GraphError, match="integer index"):
        children(CHAIN, "a")


def test_ancestors_on_cycle_include_self():
    C = np.array([[0, 1], [1, 0]])
    assert ancestors(C, 0) == {0, 1}


def test_closure_and_reduction_by_hand():
    full = np.array([[0, 1, 1], [0, 0, 1], [0, 0, 0]])
    assert transitive_closure(CHAIN).tolist() == full.tolist()
    assert transitive_reduction(full).tolist() == CHAIN.tolist()
    assert transitive_closure(CHAIN).dtype == np.int8
    # a cycle: everything reaches everything, diagonal kept 0
    cyc = np.array([[0, 1, 0], [0, 0, 1], [1, 0, 0]])
    assert transitive_closure(cyc).tolist() == [[0, 1, 1], [1, 0, 1], [1, 1, 0]]
    with pytest.raises(GraphError, match="cycle"):
        transitive_reduction(cyc)


def test_as_adjacency_errors():
    with pytest.raises(GraphError, match="square"):
        as_adjacency(np.zeros((2, 3)))
    with pytest.raises(GraphError, match="self-loops at node"):
        as_adjacency([[1, 0], [0, 0]])


# --- CPDAG ---


def test_cpdag_vstructure_directed_chain_undirected():
    assert dag_to_cpdag(VSTRUCT).tolist() == VSTRUCT.tolist()
    assert dag_to_cpdag(CHAIN).tolist() == [[0, 1, 0], [1, 0, 1], [0, 1, 0]]
    fork = np.array([[0, 0, 0], [1, 0, 1], [0, 0, 0]])  # 0 <- 1 -> 2
    assert dag_to_cpdag(fork).tolist() == [[0, 1, 0], [1, 0, 1], [0, 1, 0]]


def test_cpdag_meek_rule1_propagates_below_collider():
    # 0 -> 2 <- 1, 2 -> 3: the v-structure compels 2 -> 3 by Meek R1
    A = np.zeros((4, 4), dtype=np.int8)
    A[0, 2] = A[1, 2] = A[2, 3] = 1
    assert dag_to_cpdag(A).tolist() == A.tolist()


def test_cpdag_meek_rule2_and_complete_graph():
    # complete DAG on 3 nodes: no v-structure, all undirected
    full = np.array([[0, 1, 1], [0, 0, 1], [0, 0, 0]])
    assert dag_to_cpdag(full).tolist() == (full | full.T).tolist()
    # 0 -> 2 <- 1 (v-structure), 2 -> 3 (R1), 0 -> 3: R2 orients 0 -> 3 (0 -> 2 -> 3)
    A = np.zeros((4, 4), dtype=np.int8)
    A[0, 2] = A[1, 2] = A[2, 3] = A[0, 3] = 1
    assert dag_to_cpdag(A).tolist() == A.tolist()


def test_cpdag_meek_rule3():
    # a=0 adjacent to c1=1, c2=2, b=3; c1 -> b <- c2 v-structure; a - c1, a - c2 undirected; a -> b by R3
    A = np.zeros((4, 4), dtype=np.int8)
    A[0, 1] = A[0, 2] = A[0, 3] = A[1, 3] = A[2, 3] = 1
    C = dag_to_cpdag(A)
    assert C[0, 3] == 1 and C[3, 0] == 0
    assert C[1, 3] == 1 and C[3, 1] == 0 and C[2, 3] == 1 and C[3, 2] == 0
    assert C[0, 1] == C[1, 0] == 1 and C[0, 2] == C[2, 0] == 1


def _vstructures(A):
    out = set()
    d = A.shape[0]
    for k in range(d):
        pa = np.flatnonzero(A[:, k])
        for i, j in itertools.combinations(pa, 2):
            if not A[i, j] and not A[j, i]:
                out.add((min(i, j), max(i, j), k))
    return out


def _cpdag_brute_force(A):
    """Oracle: orient the skeleton every acyclic way; keep the Markov-equivalent DAGs (same skeleton and
    v-structures, Verma & Pearl 1990); an edge is directed iff all of them agree."""
    d = A.shape[0]
    pairs = [(i, j) for i in range(d) for j in range(i + 1, d) if A[i, j] or A[j, i]]
    target = _vstructures(A)
    union = np.zeros((d, d), dtype=np.int8)
    for bits in itertools.product([0, 1], repeat=len(pairs)):
        B = np.zeros((d, d), dtype=np.int8)
        for (i, j), b in zip(pairs, bits):
            B[(i, j) if b else (j, i)] = 1
        if is_dag(B) and _vstructures(B) == target:
            union |= B
    return union


@settings(max_examples=40, deadline=None)
@given(dags(max_d=5))
def test_cpdag_matches_brute_force_equivalence_class(A):
    C = dag_to_cpdag(A)
    assert C.tolist() == _cpdag_brute_force(A).tolist()


@settings(max_examples=40, deadline=None)
@given(dags())
def test_cpdag_same_skeleton_and_contains_dag(A):
    C = dag_to_cpdag(A)
    assert ((C | C.T) == (A | A.T)).all()
    assert (C >= A).all()  # every DAG edge is present (directed the same way or undirected)
    assert dag_to_cpdag(A).tolist() == C.tolist()


def test_cpdag_agrees_with_causallearn():
    pytest.importorskip("causallearn")
    from causallearn.graph.Dag import Dag
    from causallearn.graph.GraphNode import GraphNode
    from causallearn.utils.DAG2CPDAG import dag2cpdag

    rng = np.random.default_rng(1)
    for _ in range(5):
        d = 7
        A = np.triu(rng.random((d, d)) < 0.4, 1).astype(np.int8)
        perm = rng.permutation(d)
        A = A[np.ix_(perm, perm)]
        nodes = [GraphNode(f"X{i}") for i in range(d)]
        dag = Dag(nodes)
        for i, j in zip(*np.nonzero(A)):
            dag.add_directed_edge(nodes[i], nodes[j])
        assert from_causallearn(dag2cpdag(dag)).tolist() == dag_to_cpdag(A).tolist()


# --- hypothesis properties of DAG utilities ---


@settings(max_examples=60, deadline=None)
@given(dags())
def test_closure_of_reduction_is_closure(A):
    R = transitive_reduction(A)
    assert (R <= A).all()
    assert (transitive_closure(R) == transitive_closure(A)).all()
    # the reduction is minimal: removing any of its edges changes the closure
    for i, j in zip(*np.nonzero(R)):
        R2 = R.copy()
        R2[i, j] = 0
        assert transitive_closure(R2)[i, j] == 0


@settings(max_examples=60, deadline=None)
@given(dags())
def test_topological_order_respects_edges(A):
    order = topological_order(A)
    pos = {v: k for k, v in enumerate(order)}
    assert sorted(order) == list(range(A.shape[0]))
    assert all(pos[i] < pos[j] for i, j in zip(*np.nonzero(A)))


@settings(max_examples=60, deadline=None)
@given(dags())
def test_ancestors_descendants_consistent_with_closure(A):
    C = transitive_closure(A)
    for v in range(A.shape[0]):
        assert ancestors(A, v) == set(np.flatnonzero(C[:, v]).tolist())
        assert descendants(A, v) == set(np.flatnonzero(C[v]).tolist())
        assert set(parents(A, v)) <= ancestors(A, v)


# --- most probable DAG ---


def test_most_probable_dag_breaks_cycles_by_probability():
    P = np.array([[0, 0.9, 0.0], [0.0, 0, 0.8], [0.7, 0.0, 0]])  # 0->1->2->0 cycle; weakest edge 2->0 dropped
    assert most_probable_dag(P).tolist() == [[0, 1, 0], [0, 0, 1], [0, 0, 0]]
    two = np.array([[0, 0.6], [0.9, 0]])
    assert most_probable_dag(two).tolist() == [[0, 0], [1, 0]]
    assert most_probable_dag(two, threshold=0.95).sum() == 0
    # diagonal ignored
    assert most_probable_dag(np.array([[1.0, 0.9], [0.0, 1.0]])).tolist() == [[0, 1], [0, 0]]


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 9), st.integers(0, 2**32 - 1), st.floats(0.0, 0.9))
def test_most_probable_dag_always_acyclic(d, seed, threshold):
    P = np.random.default_rng(seed).random((d, d))
    A = most_probable_dag(P, threshold=threshold)
    assert A.dtype == np.int8 and is_dag(A)
    assert (A <= (P > threshold)).all()
    # each skipped candidate would close a cycle
    for i, j in zip(*np.nonzero((P > threshold) & (A == 0) & ~np.eye(d, dtype=bool))):
        assert i in descendants(A, j)


@settings(max_examples=30, deadline=None)
@given(dags())
def test_most_probable_dag_keeps_an_acyclic_threshold_graph(A):
    P = np.where(A == 1, 0.8, 0.3)
    assert (most_probable_dag(P) == A).all()


def test_most_probable_dag_bad_input():
    with pytest.raises(GraphError, match=r"\[0, 1\]"):
        most_probable_dag(np.array([[0, 1.5], [0, 0]]))
    with pytest.raises(GraphError, match="square"):
        most_probable_dag(np.zeros((2, 3)))


# --- converters ---


def test_networkx_round_trip_with_names_and_probs():
    A = np.array([[0, 1, 1], [0, 0, 0], [0, 1, 0]], dtype=np.int8)
    P = np.array([[0, 0.9, 0.7], [0.1, 0, 0.2], [0.0, 0.6, 0]])
    G = to_networkx(A, names=["a", "b", "c"], edge_probs=P)
    assert set(G.edges) == {("a", "b"), ("a", "c"), ("c", "b")}
    assert G.edges["a", "b"]["probability"] == pytest.approx(0.9)
    B, names = from_networkx(G)
    assert names == ["a", "b", "c"] and (B == A).all() and B.dtype == np.int8
    assert list(to_networkx(A).nodes) == ["X0", "X1", "X2"]


def test_from_networkx_undirected_is_cpdag_style():
    A, names = from_networkx(nx.Graph([("a", "b")]))
    assert A.tolist() == [[0, 1], [1, 0]] and names == ["a", "b"]


def test_converter_name_errors():
    with pytest.raises(GraphError, match="2 names given for a graph with 3 nodes"):
        to_networkx(CHAIN, names=["a", "b"])
    with pytest.raises(GraphError, match="'a' appears more than once"):
        to_networkx(CHAIN, names=["a", "a", "b"])


def test_causallearn_codes_round_trip():
    G = to_causallearn(CHAIN)
    assert G[1, 0] == 1 and G[0, 1] == -1  # i -> j: G[j, i] = 1, G[i, j] = -1
    assert (from_causallearn(G) == CHAIN).all()
    cp = dag_to_cpdag(CHAIN)
    assert to_causallearn(cp).tolist() == [[0, -1, 0], [-1, 0, -1], [0, -1, 0]]
    assert (from_causallearn(to_causallearn(cp)) == cp).all()


def test_causallearn_objects():
    pytest.importorskip("causallearn")
    obj = to_causallearn(VSTRUCT, names=["a", "b", "c"], as_object=True)
    assert [n.get_name() for n in obj.get_nodes()] == ["a", "b", "c"]
    assert (from_causallearn(obj) == VSTRUCT).all()  # via .graph
    cp = dag_to_cpdag(CHAIN)
    assert (from_causallearn(to_causallearn(cp, as_object=True)) == cp).all()

    class Wrapper:  # like causal-learn's CausalGraph: .G.graph
        G = obj

    assert (from_causallearn(Wrapper()) == VSTRUCT).all()


def test_causallearn_pc_output_is_read_correctly():
    pytest.importorskip("causallearn")
    from causallearn.search.ConstraintBased.PC import pc

    rng = np.random.default_rng(0)
    n = 2000
    x = rng.normal(size=n)
    y = rng.normal(size=n)
    z = x + y + 0.5 * rng.normal(size=n)  # collider x -> z <- y
    cg = pc(np.column_stack([x, y, z]), 0.01, "fisherz", show_progress=False)
    assert from_causallearn(cg).tolist() == VSTRUCT.tolist()


def test_causallearn_bad_codes():
    with pytest.raises(GraphError, match="bidirected edge 0 <-> 1"):
        from_causallearn([[0, 1], [1, 0]])
    with pytest.raises(GraphError, match=r"endpoint codes \(2, 1\)"):
        from_causallearn([[0, 2], [1, 0]])


def test_lingam_round_trip_with_weights():
    W = np.array([[0, 2.0, 0], [0, 0, -0.5], [0, 0, 0]])  # row -> col weights
    B = to_lingam(W)
    assert B[1, 0] == 2.0 and B[2, 1] == -0.5  # B[i, j]: effect of x_j on x_i
    assert (from_lingam(B) == (W != 0)).all() and from_lingam(B).dtype == np.int8
    assert np.allclose(from_lingam(B, weights=True), W)


def test_lingam_real_output_direction():
    lingam = pytest.importorskip("lingam")
    rng = np.random.default_rng(0)
    x0 = rng.uniform(-1, 1, size=1000)
    x1 = 2 * x0 + 0.3 * rng.uniform(-1, 1, size=1000)  # non-Gaussian noise: LiNGAM identifies 0 -> 1
    m = lingam.DirectLiNGAM().fit(np.column_stack([x0, x1]))
    A = from_lingam(m.adjacency_matrix_)
    assert A.tolist() == [[0, 1], [0, 0]]
    assert from_lingam(m.adjacency_matrix_, weights=True)[0, 1] == pytest.approx(2.0, abs=0.1)


def test_pcalg_round_trip():
    amat = to_pcalg(CHAIN)
    assert amat[0, 1] == 0 and amat[1, 0] == 1  # pcalg: amat[a, b] = 0, amat[b, a] = 1 is a -> b
    assert (from_pcalg(amat) == CHAIN).all()
    cp = dag_to_cpdag(CHAIN)
    assert (from_pcalg(to_pcalg(cp)) == cp).all()


# --- file formats ---

SUFFIXES = [".csv", ".json", ".graphml", ".dot"]


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_file_round_trip(tmp_path, suffix):
    A = np.array([[0, 1, 1, 0], [0, 0, 0, 1], [0, 1, 0, 0], [0, 0, 0, 0]], dtype=np.int8)
    names = ["Raf", "p44/42", "a b,c", 'q"uote']
    path = write_graph(tmp_path / f"g{suffix}", A, names)
    B, got, probs = read_graph(path)
    assert (B == A).all() and B.dtype == np.int8
    assert got == names
    assert probs is None
    assert [p.name for p in tmp_path.iterdir()] == [f"g{suffix}"]  # no temporary file left


@pytest.mark.parametrize("suffix", SUFFIXES)
@settings(max_examples=15, deadline=None)
@given(dags(max_d=5), st.data())
def test_file_round_trip_random_names(tmp_path_factory, suffix, A, data):
    alphabet = st.characters(whitelist_categories=("L", "N", "P", "S", "Zs"))
    names = data.draw(st.lists(st.text(alphabet, min_size=1, max_size=6), min_size=A.shape[0],
                               max_size=A.shape[0], unique=True))
    P = np.round(data.draw(st.lists(st.floats(0, 1), min_size=A.size, max_size=A.size)), 6)
    P = np.asarray(P).reshape(A.shape) * A
    path = tmp_path_factory.mktemp("rt") / f"g{suffix}"
    B, got, probs = read_graph(write_graph(path, A, names, edge_probs=None if suffix == ".csv" else P))
    assert (B == A).all() and got == names
    if suffix != ".csv" and A.any():
        assert np.allclose(probs, P)


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_file_round_trip_cpdag(tmp_path, suffix):
    C = dag_to_cpdag(np.array([[0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0], [0, 0, 1, 0]]))
    B, names, _ = read_graph(write_graph(tmp_path / f"c{suffix}", C))
    assert (B == C).all() and names == ["X0", "X1", "X2", "X3"]


@pytest.mark.parametrize("suffix", [".json", ".graphml", ".dot"])
def test_file_round_trip_probabilities(tmp_path, suffix):
    A = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]], dtype=np.int8)
    P = np.array([[0, 0.91, 0.2], [0.05, 0, 0.66], [0.3, 0.1, 0]])
    _, _, got = read_graph(write_graph(tmp_path / f"p{suffix}", A, edge_probs=P))
    if suffix == ".json":  # lossless: the full matrix
        assert np.allclose(got, P)
    else:  # probabilities of the written edges
        assert np.allclose(got, P * A)


def test_csv_drops_probabilities_with_warning(tmp_path):
    with pytest.warns(UserWarning, match="use a .json file"):
        write_graph(tmp_path / "g.csv", CHAIN, edge_probs=np.full((3, 3), 0.5))
    text = (tmp_path / "g.csv").read_text()
    assert text.splitlines()[0] == "cause->effect,X0,X1,X2"  # corner cell states the orientation


def test_edge_probabilities_are_validated_in_one_place(tmp_path):
    from scorecause.graph import as_edge_probs

    with pytest.raises(GraphError, match=r"edge_probs have shape \(2, 2\) but the graph has 3 nodes"):
        write_graph(tmp_path / "g.json", CHAIN, edge_probs=np.zeros((2, 2)))
    with pytest.raises(GraphError, match=r"found 1.7 at \(0, 1\)"):
        write_graph(tmp_path / "g.json", CHAIN, edge_probs=np.where(CHAIN, 1.7, 0.0))
    assert not (tmp_path / "g.json").exists()
    (tmp_path / "h.json").write_text(json.dumps({"nodes": ["a", "b"], "edges": [["a", "b"]],
                                                 "edge_probs": [[0, 2.0], [0, 0]]}))
    with pytest.raises(GraphError, match=r"h.json.*found 2.0 at \(0, 1\)"):
        read_graph(tmp_path / "h.json")
    with pytest.raises(GraphError, match="square"):
        as_edge_probs(np.zeros(3))


def test_csv_graph_is_a_plain_table_for_pandas(tmp_path):
    """A new user opens the CSV with pandas (or a spreadsheet): no comment line may break the header."""
    import pandas as pd

    write_graph(tmp_path / "g.csv", CHAIN, names=["a", "b", "c"])
    df = pd.read_csv(tmp_path / "g.csv", index_col=0)
    assert list(df.columns) == ["a", "b", "c"] and list(df.index) == ["a", "b", "c"]
    np.testing.assert_array_equal(df.to_numpy(), CHAIN)  # row causes column
    # files with a leading '#' comment line (hand-written or older) still read
    (tmp_path / "old.csv").write_text("# A[i,j]=1 means i->j\n,a,b\na,0,1\nb,0,0\n")
    assert read_graph(tmp_path / "old.csv")[0].tolist() == [[0, 1], [0, 0]]


def test_csv_without_index_column_and_json_pairs(tmp_path):
    (tmp_path / "h.csv").write_text("a,b\n0,1\n0,0\n")
    A, names, _ = read_graph(tmp_path / "h.csv")
    assert A.tolist() == [[0, 1], [0, 0]] and names == ["a", "b"]
    (tmp_path / "e.json").write_text(json.dumps({"nodes": ["a", "b"], "edges": [["b", "a"]]}))
    A, names, _ = read_graph(tmp_path / "e.json")
    assert A.tolist() == [[0, 0], [1, 0]]


def test_reads_bundled_sachs_graph():
    import scorecause

    path = os.path.join(os.path.dirname(scorecause.__file__), "datasets", "sachs-cdt18.json")
    A, names, _ = read_graph(path)
    assert A.shape == (11, 11) and A.sum() == 18 and not is_dag(A)  # cdt18 is cyclic


def test_dot_reader_handles_hand_written_files(tmp_path):
    text = """/* a comment */
    digraph "my graph" {
      rankdir=LR;
      node [shape=box];
      a; "b c";
      a -> "b c" -> d [probability=0.7, color=red];   // chain statement
      e -> a
      x -- y;
    }
    """
    (tmp_path / "h.dot").write_text(text)
    A, names, P = read_graph(tmp_path / "h.dot")
    assert names == ["a", "b c", "d", "e", "x", "y"]
    idx = {v: k for k, v in enumerate(names)}
    edges = {(names[i], names[j]) for i, j in zip(*np.nonzero(A))}
    assert edges == {("a", "b c"), ("b c", "d"), ("e", "a"), ("x", "y"), ("y", "x")}
    assert P[idx["a"], idx["b c"]] == pytest.approx(0.7) and P[idx["e"], idx["a"]] == 0


@pytest.mark.parametrize(
    ("fname", "content", "match"),
    [
        ("bad.csv", ",a,b\na,0,x\nb,0,0\n", "row 'a', column 'b' holds 'x'"),
        ("bad.csv", ",a,b\nb,0,1\na,0,0\n", "row names"),
        ("bad.csv", ",a,b\na,1,0\nb,0,0\n", "self-loops"),
        ("bad.csv", "", "empty"),
        ("bad.json", "{not json", "invalid JSON"),
        ("bad.json", '{"nodes": ["a"], "edges": [{"source": "a", "target": "z"}]}', "node 'z'"),
        ("bad.json", '{"edges": []}', '"nodes" and "edges"'),
        ("bad.dot", "digraph G { a -> b;", "missing closing"),
        ("bad.dot", "a -> b;", "digraph"),
        ("bad.dot", "digraph G { a -> a; }", "self-loop"),
        ("bad.graphml", "<graphml><oops", "invalid GraphML"),
    ],
)
def test_read_errors_name_file_and_problem(tmp_path, fname, content, match):
    path = tmp_path / fname
    path.write_text(content)
    with pytest.raises(GraphError, match=match) as info:
        read_graph(path)
    assert fname in str(info.value)


def test_read_missing_file_and_bad_suffix(tmp_path):
    with pytest.raises(GraphError, match="no such file"):
        read_graph(tmp_path / "nope.csv")
    with pytest.raises(GraphError, match="unsupported suffix '.txt'"):
        read_graph(tmp_path / "g.txt")
    with pytest.raises(GraphError, match="unsupported suffix"):
        write_graph(tmp_path / "g.xlsx", CHAIN)


def test_failed_write_leaves_nothing(tmp_path):
    with pytest.raises(GraphError):
        write_graph(tmp_path / "g.json", CHAIN, names=["a", "b"])
    assert list(tmp_path.iterdir()) == []
    # an existing file is not clobbered by a failing write
    write_graph(tmp_path / "g.dot", CHAIN)
    before = (tmp_path / "g.dot").read_text()
    with pytest.raises(GraphError):
        write_graph(tmp_path / "g.dot", [[1, 0], [0, 0]])
    assert (tmp_path / "g.dot").read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["g.dot"]


# --- weighted / probability adjacency files ---------------------------------------------------------------
@pytest.mark.parametrize("value", ["0.5", "2", "-1"])
def test_csv_cells_must_be_0_or_1(tmp_path, value):
    path = tmp_path / "g.csv"
    path.write_text(f"cause->effect,a,b,c\na,0,1,0\nb,0,0,{value}\nc,0,0,0\n")
    with pytest.raises(GraphError, match=rf"cell \(row 'b', column 'c'\) holds {value}.*--threshold"):
        read_graph(path)


def test_threshold_reads_weighted_and_probability_graphs(tmp_path):
    probs = tmp_path / "p.csv"
    probs.write_text("cause->effect,a,b,c\na,0,0.9,0.3\nb,0.1,0,0.6\nc,0,0,0\n")
    A, names, P = read_graph(probs, threshold=0.5)
    assert A.tolist() == [[0, 1, 0], [0, 0, 1], [0, 0, 0]] and P[0, 2] == 0.3 and P[1, 0] == 0.1
    weights = tmp_path / "w.csv"
    weights.write_text("cause->effect,a,b\na,0,-2.5\nb,0.2,0\n")
    A, _, P = read_graph(weights, threshold=1)
    assert A.tolist() == [[0, 1], [0, 0]] and P is None  # |weight| > threshold; weights are no probabilities
    weights.write_text("cause->effect,a,b\na,0,nan\nb,0.2,0\n")
    with pytest.raises(GraphError, match=r"cell \(row 'a', column 'b'\) holds nan"):
        read_graph(weights, threshold=1)
    js = tmp_path / "p.json"
    write_graph(js, [[0, 1], [1, 0]], ["a", "b"], edge_probs=[[0, 0.8], [0.3, 0]])
    assert read_graph(js, threshold=0.5)[0].tolist() == [[0, 1], [0, 0]]
    write_graph(js, [[0, 1], [0, 0]], ["a", "b"])
    with pytest.raises(GraphError, match="no edge probabilities"):
        read_graph(js, threshold=0.5)
    for bad in (float("nan"), -0.5, float("inf")):
        with pytest.raises(GraphError, match="threshold must be a finite number >= 0"):
            read_graph(probs, threshold=bad)
