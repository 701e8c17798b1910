"""The ``scorecause`` command: parse arguments, call the public API, write results. No algorithm here.

Every command exits non-zero with a one-line ``error: ...`` message on bad input, and writes its output
files atomically (temporary name + rename), so a failed command leaves no partial file.
"""

from __future__ import annotations

import contextlib
import functools
import sys

import click

from scorecause import __version__
from scorecause.errors import ScorecauseError


def friendly_errors(func):
    """Turn scorecause (and file) errors into ``error: <message>`` and exit status 1."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except BrokenPipeError:  # output piped into `head` etc.: stop quietly
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(0)
        except (ScorecauseError, OSError) as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)

    return wrapper


def _example(*commands: str, note: str = "") -> str:
    """A ``--help`` epilog: ``Example`` and the shell commands, run in this order in an empty folder.

    ``\\b`` keeps click from re-wrapping the lines; tests/test_cli_help.py runs every example.
    """
    title = f"Example ({note}):" if note else "Example:"
    return "\b\n" + "\n".join([title, *(f"  {c}" for c in commands)])


@click.group(context_settings={"help_option_names": ["-h", "--help"]},
             epilog=_example("scorecause discover --example sachs --out graph.json --report report.html",
                             note="the quickstart, about 10 s; then try: scorecause COMMAND --help"))
@click.version_option(__version__, prog_name="scorecause")
def main():
    """scorecause: causal discovery and causal representation learning with score functions.

    Adjacency convention in every file: A[i, j] = 1 means i -> j (row causes column).
    """
    import warnings

    warnings.formatwarning = _one_line_warning


def _one_line_warning(message, category, filename, lineno, line=None) -> str:
    """scorecause's own warnings (e.g. a row subsample notice) as one ``warning: ...`` line."""
    if category.__module__.startswith("scorecause"):
        return f"warning: {message}\n"
    import warnings

    return warnings._formatwarning_orig(message, category, filename, lineno, line)


# --- foundation commands: simulate, evaluate, datasets ---


def _staged(*paths):
    """Temporary paths for ``paths``, renamed into place together on success (:func:`fileio.atomic_paths`)."""
    from scorecause.fileio import atomic_paths

    return atomic_paths(*paths)


_overwrite_option = click.option("--overwrite", is_flag=True,
                                 help="Replace existing output files (an input file is never replaced).")


def _guard_outputs(outputs, *, inputs=(), overwrite=False) -> None:
    """Refuse now, and guard until the command ends, writes onto an input or (without --overwrite) an existing
    file (:func:`fileio.guarded_outputs`)."""
    from scorecause.fileio import guarded_outputs

    click.get_current_context().with_resource(guarded_outputs(outputs, inputs=inputs, overwrite=overwrite))


def _graph_suffix_ok(path) -> None:
    """Fail early (GraphError) when ``path`` is given and is not a .csv/.json/.graphml/.dot graph file."""
    from scorecause.graph import graph_file_format

    if path is not None:
        graph_file_format(path)


def _list_presets(ctx, _param, value):
    if not value or ctx.resilient_parsing:
        return
    from scorecause.simulate import PRESETS
    from scorecause.simulate.latent import CRL_PRESETS

    for name in sorted(PRESETS):
        click.echo(name)
    for name, preset in CRL_PRESETS.items():
        click.echo(f"{name:<16} {preset['description']}")
    from scorecause.simulate.images import IMAGE_PRESETS

    for name, preset in IMAGE_PRESETS.items():
        click.echo(f"{name:<16} {preset['description']}")
    ctx.exit()


@main.command("simulate", epilog=_example(
    "scorecause simulate --preset score-gp-er -d 5 -n 500 --seed 1 -o data.csv --graph-out truth.json"))
@click.option("--preset", required=True,
              help="Named setting, e.g. score-gp-er, avici-linear, or crl-linear for `scorecause crl` "
                   "environments (see --list-presets).")
@click.option("-d", "--d", "d", type=int, default=10, show_default=True, help="Number of (observed) variables.")
@click.option("-n", "--n", "n", type=int, default=1000, show_default=True,
              help="Observational rows (crl presets: rows per environment).")
@click.option("--latents", type=int, default=3, show_default=True,
              help="crl presets only: number of latent variables (<= d).")
@click.option("--balls", type=int, default=None, help="crl-balls only: number of balls, 1-5 (2 latents each; "
              "default 2).")
@click.option("--joints", type=int, default=None, help="crl-robot-arm only: number of joints, 2-5 (default 3).")
@click.option("--per-node", type=click.IntRange(1, 2), default=None,
              help="crl-balls / crl-robot-arm: hard interventions per latent, 1 or 2 (default: balls 2, arm 1).")
@click.option("--image-size", type=click.IntRange(min=16), default=64, show_default=True,
              help="crl-balls / crl-robot-arm: image width = height in pixels.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the numpy Generator.")
@click.option("--n-interventional", type=int, default=0, show_default=True,
              help="Extra rows with single-node hard interventions (written as do(<var>) and env columns).")
@click.option("--graph", "graph_kind", default=None, help="Override the graph kind: er, sf, sf-in, ws, sbm, geo.")
@click.option("--edges-per-node", type=float, default=None, help="Override the expected edges per node.")
@click.option("--mechanism", default=None, help="Override the mechanism: linear, rff, gp, mlp, quadratic "
              "(crl-balls / crl-robot-arm: the latent SCM, linear, quadratic or mlp; default linear).")
@click.option("--noise", default=None, help="Override the noise: gaussian, laplace, cauchy, gumbel, uniform.")
@click.option("--heteroscedastic", is_flag=True,
              help="Noise scale a function of the parents, sqrt(softplus(RFF(parents))) (AVICI o.o.d. style).")
@click.option("--n-targets", type=click.IntRange(min=1), default=None,
              help="Intervene on this many random variables (default: the preset's, e.g. all).")
@click.option("--unknown-targets", is_flag=True,
              help="Write no do(<var>) columns (targets unknown to the learner); env labels are kept. "
                   "crl presets: targets.json holds null.")
@click.option("--out", "-o", required=True, type=click.Path(),
              help="Data file: .csv, .csv.gz, .tsv or .parquet. crl presets: a new folder (env0.csv, env1.csv, "
                   "..., targets.json) or one data file with an env column.")
@click.option("--graph-out", type=click.Path(dir_okay=False), default=None,
              help="True graph file: .json, .csv, .graphml or .dot (A[i, j] = 1 means i -> j).")
@click.option("--hide", type=click.IntRange(min=0), default=0, show_default=True,
              help="Hide K variables with >= 2 observed children (hidden confounders, seeded): -d is the number "
                   "simulated, d - K are written; the true graph is the latent projection, with bidirected "
                   "edges (i <-> j: a hidden common cause).")
@click.option("--list-presets", is_flag=True, expose_value=False, is_eager=True, callback=_list_presets,
              help="Print the preset names and exit.")
@_overwrite_option
@friendly_errors
def simulate_command(preset, d, n, latents, balls, joints, per_node, image_size, seed, n_interventional, graph_kind,
                     edges_per_node, mechanism, noise, heteroscedastic, n_targets, unknown_targets, out, graph_out,
                     hide, overwrite):
    """Simulate a dataset and its true graph from a named preset (same seed, same files).

    A crl-* preset writes environments of latent variables for `scorecause crl`, and the latent graph;
    crl-balls and crl-robot-arm write image environments (env0.npz, env1.npz, ..., targets.json).
    """
    import numpy as np

    from scorecause.data import data_file_format
    from scorecause.graph import write_graph
    from scorecause.simulate import simulate
    from scorecause.simulate.images import IMAGE_PRESETS
    from scorecause.simulate.latent import CRL_PRESETS

    image_options = ["balls", "joints", "per_node", "image_size"]
    if preset in IMAGE_PRESETS:
        _reject_options_given(["hide"], f"the image preset {preset!r}")
        return _simulate_images(preset, balls if preset == "crl-balls" else joints, per_node, image_size, n, seed,
                                mechanism, unknown_targets, out, graph_out, overwrite)
    _reject_options_given(image_options, f"preset {preset!r} (it applies to crl-balls / crl-robot-arm)")
    if preset in CRL_PRESETS:
        _reject_options_given(["hide"], f"the CRL preset {preset!r}")
        return _simulate_crl(preset, latents, d, n, seed, unknown_targets, out, graph_out, overwrite)
    _reject_options_given(["latents"], f"preset {preset!r} (it applies to the crl-* presets)")

    data_file_format(out)  # fail on a bad suffix before any work
    _graph_suffix_ok(graph_out)
    _guard_outputs([out, graph_out], overwrite=overwrite)
    overrides = {k: v for k, v in [("graph", graph_kind), ("edges_per_node", edges_per_node),
                                   ("mechanism", mechanism), ("noise", noise), ("n_targets", n_targets)]
                 if v is not None}
    if heteroscedastic:
        overrides["heteroscedastic"] = True
    if unknown_targets:
        overrides["known_targets"] = False
    ds = simulate(preset, d=d, n=n, rng=np.random.default_rng(seed), n_interventional=n_interventional,
                  hide=hide, **overrides)
    bidirected = ds.meta.get("truth_bidirected")
    paths = [out] if graph_out is None else [out, graph_out]
    with _staged(*paths) as tmp:
        ds.to_file(tmp[0])
        if graph_out is not None:
            write_graph(tmp[1], ds.truth, ds.names, bidirected=bidirected)
    msg = f"wrote {out} ({ds.n} rows x {ds.d} variables"
    n_int = ds.meta["n_interventional"]
    if n_int:
        msg += f", {n_int} intervened" + (" (targets unknown)" if ds.interventions is None else "")
    msg += ")"
    if graph_out is not None:
        msg += f" and {graph_out} ({int(ds.truth.sum())} edges"
        msg += f", {int(bidirected.sum()) // 2} bidirected)" if bidirected is not None else ")"
    if hide:
        msg += f"; hidden: {', '.join(ds.meta['hidden'])}"
    click.echo(msg)


def _reject_options_given(names, what: str) -> None:
    """ConfigError naming the first option of ``names`` set on the command line: it does not apply to ``what``."""
    from click.core import ParameterSource

    from scorecause.errors import ConfigError

    ctx = click.get_current_context()
    for param in ctx.command.params:
        if param.name in names and ctx.get_parameter_source(param.name) is not ParameterSource.DEFAULT:
            raise ConfigError(f"{param.opts[-1]} does not apply to {what}; drop it")


def _simulate_crl(preset, latents, d, n, seed, unknown_targets, out, graph_out, overwrite=False) -> None:
    """``simulate --preset crl-*``: environments in the format ``scorecause crl`` reads, and the latent graph."""
    import numpy as np

    from scorecause.crl.io import environment_paths, write_environments
    from scorecause.graph import write_graph
    from scorecause.simulate.latent import simulate_crl

    _reject_options_given(["n_interventional", "graph_kind", "edges_per_node", "mechanism", "noise",
                           "heteroscedastic", "n_targets"], f"the CRL preset {preset!r}")
    _graph_suffix_ok(graph_out)
    prob = simulate_crl(preset, n_latents=latents, d=d, n=n, rng=np.random.default_rng(seed))
    envs = prob.environments
    env_paths = environment_paths(out, len(envs))
    _guard_outputs([*env_paths, graph_out], overwrite=overwrite)
    targets = None if unknown_targets else [iv.targets for iv in prob.interventions]
    with _staged(*env_paths, *([graph_out] if graph_out else [])) as tmp:
        write_environments(envs, tmp[:len(env_paths)], targets)
        if graph_out is not None:
            write_graph(tmp[-1], prob.graph, [f"Z{i}" for i in range(latents)])
    msg = f"wrote {out} ({len(envs)} environments x {n} rows x {d} variables, {latents} latents)"
    if graph_out is not None:
        msg += f" and {graph_out} (latent graph, {int(prob.graph.sum())} edges)"
    click.echo(msg)


def _simulate_images(preset, count, per_node, size, n, seed, mechanism, unknown_targets, out, graph_out,
                     overwrite=False) -> None:
    """``simulate --preset crl-balls / crl-robot-arm``: image environments (``scorecause.crl.io`` format)."""
    import numpy as np

    from scorecause.crl.io import image_environment_paths, write_image_environments
    from scorecause.graph import write_graph
    from scorecause.simulate.images import image_preset_size, simulate_images

    _reject_options_given(["latents", "d", "n_interventional", "graph_kind", "edges_per_node", "noise",
                           "heteroscedastic", "n_targets", "joints" if preset == "crl-balls" else "balls"],
                          f"the image preset {preset!r}")
    _graph_suffix_ok(graph_out)
    n_envs = image_preset_size(preset, count, per_node, mechanism or "linear", size)[1]  # checks the settings
    env_paths = image_environment_paths(out, n_envs)
    _guard_outputs([*env_paths, graph_out], overwrite=overwrite)  # before any rendering
    prob = simulate_images(preset, count=count, N=n, rng=np.random.default_rng(seed), latent=mechanism or "linear",
                           per_node=per_node, size=size)
    k = prob.graph.shape[0]
    with _staged(*env_paths, *([graph_out] if graph_out else [])) as tmp:
        write_image_environments(prob.images, tmp[:len(env_paths)], None if unknown_targets else prob.targets,
                                 latents=prob.latents, extras=[{"z": z} for z in prob.z])
        if graph_out is not None:
            write_graph(tmp[-1], prob.graph, [f"Z{i}" for i in range(k)])
    shape = "x".join(map(str, prob.images[0].shape[1:]))
    msg = f"wrote {out} ({len(prob.images)} environments x {n} images {shape}, {k} latents)"
    if graph_out is not None:
        msg += f" and {graph_out} (latent graph, {int(prob.graph.sum())} edges)"
    click.echo(msg)


def _align(pred, pred_names, true_names, pred_path, true_path):
    """Reorder the predicted matrix (d, d) to the truth's node order, matching by name."""
    import numpy as np

    from scorecause.errors import GraphError

    if list(pred_names) == list(true_names):
        return pred
    missing = [v for v in true_names if v not in pred_names]
    extra = [v for v in pred_names if v not in true_names]
    if missing or extra or len(pred_names) != len(true_names):
        raise GraphError(f"node names differ: {pred_path} lacks {missing} and has extra {extra} compared with "
                         f"{true_path}; both graphs must have the same nodes")
    idx = [list(pred_names).index(v) for v in true_names]
    return None if pred is None else np.asarray(pred)[np.ix_(idx, idx)]


def _fmt(v) -> str:
    import math

    if isinstance(v, float) and math.isnan(v):
        return "n/a"
    if isinstance(v, (int,)) or (isinstance(v, float) and math.isfinite(v) and v == int(v) and abs(v) < 1e12):
        return str(int(v))
    return f"{v:.4f}" if isinstance(v, float) else str(v)


@main.command("evaluate", epilog=_example(
    "scorecause simulate --preset linear-gaussian -d 5 -n 500 -o data.csv --graph-out truth.json",
    "scorecause discover data.csv --method varsort -o pred.json",
    "scorecause evaluate pred.json truth.json"))
@click.argument("pred_graph", type=click.Path(dir_okay=False))
@click.argument("true_graph", type=click.Path(dir_okay=False))
@click.option("--metrics", "metric_list", default=None,
              help="Comma-separated metrics, e.g. shd,sid,f1 (default: all that apply).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object instead of a table.")
@click.option("--threshold", type=float, default=None,
              help="PRED_GRAPH holds weights or probabilities: an edge where |value| > THRESHOLD (values in "
                   "[0, 1] also feed AUROC/AUPRC). Without it every adjacency cell must be 0 or 1.")
@friendly_errors
def evaluate_command(pred_graph, true_graph, metric_list, as_json, threshold):
    """Compare PRED_GRAPH with TRUE_GRAPH (.json, .csv, .graphml, .dot); nodes are matched by name.

    Edge probabilities stored in PRED_GRAPH (JSON/GraphML) feed AUROC, AUPRC, ECE and Brier.
    """
    import json

    from scorecause import metrics
    from scorecause.graph import read_mixed_graph

    P, Bp, pred_names, probs = read_mixed_graph(pred_graph, threshold=threshold)
    T, Bt, true_names, _ = read_mixed_graph(true_graph)
    P = _align(P, pred_names, true_names, pred_graph, true_graph)
    Bp = _align(Bp, pred_names, true_names, pred_graph, true_graph)
    probs = _align(probs, pred_names, true_names, pred_graph, true_graph)
    wanted = [m.strip() for m in metric_list.split(",") if m.strip()] if metric_list else None
    mixed = bool(Bt.any() or Bp.any())
    result = metrics.evaluate(T, P, metrics=wanted, edge_probs=probs,  # unknown names -> ConfigError
                              true_bidirected=Bt if mixed else None, pred_bidirected=Bp if mixed else None)
    if as_json:  # NaN (e.g. SID against a cyclic truth) becomes null: strict JSON
        click.echo(json.dumps({k: (None if v is None or v != v else float(v)) for k, v in result.items()},
                              indent=1))
        return
    width = max(len(k) for k in result) if result else 6
    click.echo(f"# {len(true_names)} nodes; truth {int(T.sum())} edges, prediction {int(P.sum())} edges"
               + (f"; bidirected: truth {int(Bt.sum()) // 2}, prediction {int(Bp.sum()) // 2}" if mixed else ""))
    click.echo(f"{'metric':<{width}}  value")
    for k, v in result.items():
        click.echo(f"{k:<{width}}  {_fmt(v)}")
    if "sid" in result and result["sid"] != result["sid"]:
        click.echo("# sid is n/a: SID needs two DAGs (a graph is cyclic or has undirected edges)")


@main.group("datasets", invoke_without_command=True, epilog=_example("scorecause datasets describe sachs"))
@click.pass_context
def datasets_command(ctx):
    """Bundled real data and graphs (Sachs 2005): list, describe NAME, export NAME --out FILE."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(datasets_list)


@datasets_command.command("list", epilog=_example("scorecause datasets list"))
@friendly_errors
def datasets_list():
    """List the bundled datasets and graphs."""
    from scorecause.datasets import describe, list_datasets

    for name in list_datasets():
        info = describe(name)
        size = (f"{info['n_rows']} x {info['n_columns']}" if info["kind"] == "data"
                else f"{info['n_edges']} edges{'' if info['acyclic'] else ', cyclic'}")
        click.echo(f"{name:<20} {info['kind']:<5} {size}")


@datasets_command.command("describe", epilog=_example("scorecause datasets describe sachs-bn17"))
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@friendly_errors
def datasets_describe(name, as_json):
    """Describe a bundled dataset or graph: source, size, conditions or edges, sha256, citation."""
    import json

    from scorecause.datasets import describe

    info = describe(name)
    if as_json:
        click.echo(json.dumps(info, indent=1))
        return
    for key, value in info.items():
        if isinstance(value, dict):
            click.echo(f"{key}:")
            for k, v in value.items():
                click.echo(f"  {k}: {(', '.join(v) or '(none)') if isinstance(v, list) else v}")
        elif isinstance(value, list):
            click.echo(f"{key}: {', '.join(map(str, value))}")
        else:
            click.echo(f"{key}: {value}")


@datasets_command.command("export", epilog=_example("scorecause datasets export sachs -o sachs.csv"))
@click.argument("name")
@click.option("--out", "-o", required=True, type=click.Path(dir_okay=False),
              help="Data: .csv/.csv.gz/.tsv/.parquet; graph: .json/.csv/.graphml/.dot.")
@click.option("--log", "log", is_flag=True, help="Data only: natural log of the concentrations.")
@click.option("--interventions", is_flag=True,
              help="Data only (sachs): add do(<var>) columns from the standard, unverified target mapping.")
@_overwrite_option
@friendly_errors
def datasets_export(name, out, log, interventions, overwrite):
    """Write a bundled dataset (env column = condition) or graph to OUT."""
    from pathlib import Path

    import scorecause.datasets as bundled
    from scorecause.datasets import describe, load_graph, load_sachs

    info = describe(name)
    _guard_outputs([out], inputs=[Path(bundled.__file__).parent], overwrite=overwrite)  # never the package's files
    with _staged(out) as (tmp,):
        if info["kind"] == "graph":
            from scorecause.graph import write_graph

            _graph_suffix_ok(out)
            A, names = load_graph(name)
            write_graph(tmp, A, names)
        else:
            from scorecause.data import data_file_format

            data_file_format(out)
            if interventions and name != "sachs":
                from scorecause.errors import DataError

                raise DataError("--interventions needs the full 'sachs' dataset (the observational rows have none)")
            ds = load_sachs(graph=None, observational_only=name != "sachs", log=log, interventions=interventions)
            ds.to_file(tmp)
    click.echo(f"wrote {out}")


# --- discovery commands: discover ---

_DISCOVERY_METHODS = ("score", "das", "nogam", "scoresort", "varsort")  # score matching (CAM-pruned)
_CRL_METHODS = ("lscale", "gscale", "umni", "lcd")  # take environments: see `scorecause crl`


def _discovery_method(_ctx, _param, value: str) -> str:
    """Accept any registry method that learns a graph from one table (not the CRL methods)."""
    from scorecause.registry import methods

    name = value.lower()
    if name not in methods or name in _CRL_METHODS:
        allowed = ", ".join(m for m in methods if m not in _CRL_METHODS)
        raise click.BadParameter(f"unknown method {value!r}; choose one of: {allowed}")
    _print_method_help(_ctx, name)
    return name


def _help_method_flag(ctx, _param, value):
    if value and not ctx.resilient_parsing:
        ctx.meta["help_method"] = True
        _print_method_help(ctx, ctx.params.get("method"))


def _print_method_help(ctx, name) -> None:
    """With ``--help-method``: list method ``name``'s parameters (default, allowed values, meaning) and exit."""
    if name is None or not ctx.meta.get("help_method"):
        return  # --method is processed later (or the flag was not given)
    from scorecause.constraints import describe_params
    from scorecause.registry import methods

    cls = methods[name]
    click.echo(f"{name}: {(cls.__doc__ or '').strip().splitlines()[0]}")
    click.echo("parameters (set with --param NAME=VALUE):")
    for row in describe_params(cls):
        click.echo(f"  {row['name']} = {row['default']!r}  [{row['allowed']}]")
        if row["description"]:
            click.echo(f"      {row['description']}")
    ctx.exit()


def _parse_param(text: str):
    """``NAME=VALUE`` -> (name, value); VALUE as int, float, bool, None, a comma-separated tuple or a string."""
    from scorecause.errors import ConfigError

    name, sep, raw = text.partition("=")
    if not sep or not name.strip():
        raise ConfigError(f"--param {text!r} must look like NAME=VALUE, e.g. --param threshold=0.3")

    def value(v: str):
        v = v.strip()
        low = v.lower()
        if low in ("none", "null"):
            return None
        if low in ("true", "false"):
            return low == "true"
        for kind in (int, float):
            with contextlib.suppress(ValueError):
                return kind(v)
        return v

    return name.strip(), (tuple(value(v) for v in raw.split(",") if v.strip()) if "," in raw else value(raw))
_EXAMPLES = ("sachs",)


@main.command("discover", epilog=_example(
    "scorecause simulate --preset score-gp-er -d 5 -n 300 -o data.csv --graph-out truth.json",
    "scorecause discover data.csv --method das --truth truth.json -o graph.json --report report.html"))
@click.argument("data", required=False, type=click.Path(dir_okay=False))
@click.option("--example", type=click.Choice(_EXAMPLES), default=None,
              help="Run on a bundled dataset instead of DATA: 'sachs' = 853 observational rows, bn17 truth.")
@click.option("--method", "-m", default="score", show_default=True, callback=_discovery_method,
              help="Score matching + CAM pruning: score, das, nogam, scoresort, varsort; adascore (DAG, CPDAG or "
                   "mixed graph, whichever the data identify); amortized: avici; "
                   "baselines (need scorecause[baselines]): pc (constraint-based), ges, gies (score-based), "
                   "directlingam (linear non-Gaussian).")
@click.option("--prior", type=click.Path(exists=True, dir_okay=False), default=None,
              help="JSON/YAML file with 'required', 'forbidden' edges ([cause, effect] pairs) and 'tiers'.")
@click.option("--bootstrap", "n_bootstrap", type=int, default=0, show_default=True,
              help="Bootstrap resamples for edge probabilities (0 = none).")
@click.option("--alpha", type=float, default=None,
              help="Significance level, in (0, 1); default: the method's own. score, das, nogam, scoresort, "
                   "varsort: CAM pruning p-value cutoff (0.001); pc: CI-test level (0.05); methods "
                   "without an alpha reject it. Same as --param alpha=VALUE.")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE",
              help="Set any parameter of the method (repeatable), e.g. --param model=rff --param threshold=0.3; "
                   "list them with --help-method.")
@click.option("--help-method", is_flag=True, expose_value=False, is_eager=True, callback=_help_method_flag,
              help="List the parameters of --method (defaults, allowed values, meaning) and exit.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed (bootstrap resampling).")
@click.option("--n-jobs", type=int, default=1, show_default=True,
              help="Parallel workers (joblib): bootstrap resamples, else CAM nodes; -1 = all cores.")
@click.option("--truth", type=click.Path(exists=True, dir_okay=False), default=None,
              help="True graph file (.csv/.json/.graphml/.dot) for metrics in the report.")
@click.option("--out", "-o", required=True, type=click.Path(dir_okay=False),
              help="Learned graph; format by suffix: .json (keeps probabilities), .csv, .graphml, .dot.")
@click.option("--report", type=click.Path(dir_okay=False), default=None,
              help="Also write a self-contained HTML report (graph drawing, edge table, metrics if truth known).")
@click.option("--trust", is_flag=True,
              help="Add self-compatibility to the report's 'Can this graph be trusted?' section: refit the method "
                   "on --trust-subsets random subsets of the variables (cost: about that many fits of a "
                   "half-size problem). Sortability and residual checks are always in the report.")
@click.option("--trust-subsets", type=int, default=20, show_default=True,
              help="Random variable subsets for --trust (topped up until every pair is in 2 of them).")
@click.option("--trust-size", type=float, default=0.5, show_default=True,
              help="Subset size for --trust: a fraction of the variables in (0, 1) or a number of variables.")
@click.option("--trust-max-seconds", type=float, default=1800, show_default=True,
              help="Skip the --trust subset fits (with a note in the report) when they would take longer.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar or summary.")
@_overwrite_option
@friendly_errors
def discover_command(data, example, method, prior, n_bootstrap, alpha, params, seed, n_jobs, truth, out, report,
                     trust, trust_subsets, trust_size, trust_max_seconds, quiet, overwrite):
    """Learn a causal graph from DATA (CSV/Parquet, one column per variable) with the chosen --method.

    Methods: score matching with CAM pruning (default), an amortized transformer (AVICI), or a classic
    baseline (constraint-based PC, score-based GES / GIES, DirectLiNGAM). Without DATA, --example sachs.
    """
    import time

    import numpy as np

    from scorecause.data import Dataset, as_prior
    from scorecause.errors import ConfigError
    from scorecause.graph import read_mixed_graph, write_graph
    from scorecause.registry import methods

    if (data is None) == (example is None):
        raise ConfigError("give exactly one of DATA (a CSV/Parquet file) or --example sachs")
    _graph_suffix_ok(out)
    if report is not None and not str(report).lower().endswith((".html", ".htm")):
        raise ConfigError(f"report file {report!r} must end in .html")
    if trust and report is None:
        raise ConfigError("--trust adds a section to the HTML report; give --report report.html too")
    if trust_subsets < 1:
        raise ConfigError(f"--trust-subsets {trust_subsets}: give at least 1 (default 20)")
    _guard_outputs([out, report], inputs=[data, truth, prior], overwrite=overwrite)
    from scorecause.constraints import validate_params

    accepted = methods[method]().get_params()
    explicit = dict(_parse_param(p) for p in params)
    if alpha is not None:
        explicit["alpha"] = alpha
    unknown = sorted(set(explicit) - set(accepted))
    if unknown:
        raise ConfigError(f"method {method!r} has no parameter {', '.join(unknown)}; valid: "
                          f"{', '.join(sorted(accepted))} (see --method {method} --help-method)")
    if n_bootstrap and "n_bootstrap" not in accepted:
        raise ConfigError(f"method {method!r} has no bootstrap option; drop --bootstrap")
    options = dict(n_bootstrap=n_bootstrap, random_state=seed, n_jobs=n_jobs, progress=not quiet)
    est = methods.create(method, **{**{k: v for k, v in options.items() if k in accepted}, **explicit})
    validate_params(est)  # bad values stop here, before the data are read
    if example == "sachs":
        from scorecause.datasets import load_sachs

        ds = load_sachs()
        description = "Sachs et al. (2005), 853 observational rows, truth: bn17 consensus graph"
    else:
        ds = Dataset.from_file(data)
        cls = methods[method]
        if ds.interventions is not None and not (cls.tags.get("interventional", False)
                                                 or getattr(cls, "accepts_interventions", False)):
            click.echo(f"note: do(...) columns found but {method} is observational; using the observational "
                       "rows only", err=True)
            ds = ds.observational()
        description = f"{data}: {ds.n} rows"
    if truth is not None:
        T, Bt, tnames, _ = read_mixed_graph(truth)
        if sorted(tnames) != sorted(ds.names):
            raise ConfigError(f"truth graph {truth!r} has variables {tnames}, the data has {ds.names}")
        idx = [tnames.index(v) for v in ds.names]
        ds.truth = T[np.ix_(idx, idx)]
        if Bt.any():
            ds.meta["truth_bidirected"] = Bt[np.ix_(idx, idx)]
    if trust:  # a bad subset size stops here, before the fit
        from scorecause.trust import draw_subsets

        draw_subsets(ds.d, int(trust_size) if trust_size >= 1 else trust_size, trust_subsets, random_state=seed)
    t0 = time.perf_counter()
    est.fit(ds, prior=as_prior(prior))
    runtime = time.perf_counter() - t0
    probs = getattr(est, "edge_probs_", None)
    checks = None
    if report:
        from scorecause.trust import assess

        observational = ds.interventions is not None and ds.observational_rows.sum() >= 10
        checks = assess(est, ds.observational() if observational else ds, self_compat=trust,
                        subset_size=int(trust_size) if trust_size >= 1 else trust_size, n_subsets=trust_subsets,
                        random_state=seed, n_jobs=n_jobs, progress=not quiet, max_seconds=trust_max_seconds,
                        fit_seconds=runtime)
        if checks.skipped and not quiet:
            click.echo(f"note: {checks.skipped}", err=True)
    paths = [out] + ([report] if report else [])
    with _staged(*paths) as tmp:
        write_graph(tmp[0], est.adjacency_, ds.names, probs if str(out).lower().endswith((".json", ".graphml",
                                                                                          ".dot", ".gv")) else None,
                    bidirected=getattr(est, "bidirected_", None))
        if report:
            from scorecause.report import write_discovery_report

            cmd = "scorecause " + " ".join(sys.argv[1:]) if sys.argv and "scorecause" in sys.argv[0] else None
            write_discovery_report(tmp[1], est, ds, runtime_s=runtime, command=cmd, data_description=description,
                                   trust=checks)
    if not quiet:
        msg = f"{method}: {int(est.adjacency_.sum())} edges among {ds.d} variables in {runtime:.1f} s -> {out}"
        if getattr(est, "graph_type_", None):
            msg += f" [{est.graph_type_}: {est.graph_type_reason_}]"
        if ds.truth is not None:
            from scorecause.metrics import shd

            dist = shd(ds.truth, est.adjacency_, true_bidirected=ds.meta.get("truth_bidirected"),
                       pred_bidirected=getattr(est, "bidirected_", None))
            msg += f" (SHD vs truth {dist})"
        if report:
            msg += f"; report: {report}"
        click.echo(msg)


# --- amortized commands: train-amortized ---


@main.command("train-amortized", epilog=_example(
    "scorecause train-amortized src/scorecause/amortized/configs/amortized-linear.yaml -o runs/linear --stop-at 100",
    note="configs as in docs/amortized.md; --resume continues"))
@click.argument("config", type=click.Path(exists=True, dir_okay=False))
@click.option("--out", "-o", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Run directory (checkpoint last.pt, log.jsonl); default runs/<config name>.")
@click.option("--resume", is_flag=True, help="Continue from OUT/last.pt (no progress lost).")
@click.option("--device", default=None, help="cpu, cuda or auto (overrides the config's train.device).")
@click.option("--stop-at", type=int, default=None,
              help="Stop (with a checkpoint) at this step; --resume continues the same schedule later.")
@click.option("--export", "export_to", type=click.Path(dir_okay=False), default=None,
              help="After training, write the shippable weight file (state dict + config) here.")
@_overwrite_option
@friendly_errors
def train_amortized(config, out_dir, resume, device, stop_at, export_to, overwrite):
    """Train an amortized model from CONFIG.yaml (sections model: and train:) on simulated data.

    model: kind: aggregator trains the statistics- and score-fed aggregator (method `amortized`; a feature
    pool is computed first in worker processes); otherwise the raw-sample AVICI transformer (method `avici`).
    """
    from scorecause.amortized.train import export_weights, train_from_file
    from scorecause.fileio import check_outputs, guarded_outputs

    check_outputs([export_to], inputs=[config], overwrite=overwrite)  # before training; the run folder resumes
    ckpt = train_from_file(config, out_dir, resume=resume, device=device, stop_after=stop_at)
    click.echo(f"checkpoint: {ckpt}")
    if export_to:
        with guarded_outputs([export_to], inputs=[config, ckpt], overwrite=overwrite):
            click.echo(f"weights: {export_to} sha256={export_weights(ckpt, export_to)}")


# --- crl commands: crl ---
@main.command("crl", epilog=_example(
    "scorecause simulate --preset crl-linear --latents 3 -d 6 -n 2000 -o envs --graph-out truth.json",
    "scorecause crl envs --method lscale -o crl-out"))
@click.argument("data", type=click.Path(exists=True))
@click.option("--method", type=click.Choice(["lscale", "gscale", "umni", "lcd"]), default="lscale",
              show_default=True, help="CRL method (see docs/crl.md).")
@click.option("--out", "-o", "out_dir", type=click.Path(), required=True, help="Output directory.")
@click.option("--intervention", type=click.Choice(["hard", "soft"]), default="hard", show_default=True,
              help="Intervention type (lscale, umni).")
@click.option("--scores", default=None, help="Score-difference source, e.g. gaussian, classifier-mlp.")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of the method's random choices (score estimators, initialisation).")
@click.option("--truth", type=click.Path(exists=True, dir_okay=False), default=None,
              help="True latent graph file (.json/.csv/.graphml/.dot) for the report's comparison.")
@click.option("--true-latents", type=click.Path(exists=True, dir_okay=False), default=None,
              help="CSV/Parquet of the true latents of the observational rows: MCC and a heatmap in the report.")
@click.option("--images", is_flag=True,
              help="DATA is a folder of .npz image environments (simulate --preset crl-balls / crl-robot-arm): "
                   "a convolutional autoencoder, then GSCALE-I on its codes (--method gscale).")
@click.option("--per-node", type=click.Choice(["auto", "1", "2"]), default="auto", show_default=True,
              help="--images: hard interventions per latent (auto: from targets.json, else by the count of "
                   "environments).")
@click.option("--labels", type=click.Path(exists=True, dir_okay=False), default=None,
              help="--images: pose labels, a CSV with a 'row' column (observational image index) and one column "
                   "per angle (radians); the first --n-labels rows calibrate latents -> angles, the rest measure "
                   "the error (writes pose.csv).")
@click.option("--n-labels", type=int, default=100, show_default=True, help="--images --labels: calibration rows.")
@click.option("--pose-map", type=click.Choice(["affine", "monotone"]), default="affine", show_default=True,
              help="--labels: latents -> angles map (affine least squares, or monotone per matched latent).")
@click.option("--pose-baseline", is_flag=True,
              help="--labels: also train a supervised CNN on the same labelled images and report its error.")
@click.option("--device", default="auto", show_default=True, help="--images: torch device (cpu, cuda, auto).")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE",
              help="--images: set an ImageGSCALE parameter (repeatable), e.g. --param ae_epochs=20; "
                   "gscale.NAME=VALUE sets a GSCALE-I parameter, e.g. --param gscale.n_steps=500.")
@_overwrite_option
@friendly_errors
def crl_command(data, method, out_dir, intervention, scores, seed, truth, true_latents, images, per_node, labels,
                n_labels, pose_map, pose_baseline, device, params, overwrite):
    """Learn latents and a latent DAG from environments in DATA (directory of files or one file with 'env').

    Writes OUT/latents.csv (observational environment's latents Z0..), OUT/graph.json
    (A[i, j] = 1 means Zi -> Zj), OUT/encoder.csv (linear methods) and OUT/report.html.
    With --images (DATA: env0.npz, env1.npz, ...): OUT/autoencoder.pt (a torch state_dict; load with
    weights_only=True), OUT/metrics.json and, with --labels, OUT/pose.csv.
    """
    from pathlib import Path

    from scorecause.report import write_crl_report

    if images:
        return _crl_images(data, method, out_dir, scores, seed, truth, true_latents, per_node, labels, n_labels,
                           pose_map, pose_baseline, device, params, overwrite)
    _reject_options_given(["labels", "pose_baseline", "per_node", "n_labels", "pose_map", "device", "params"],
                          "a run without --images (it applies to image runs)")
    from scorecause.crl.io import fit_from_path

    if Path(data).is_dir() and any(p.suffix.lower() == ".npz" for p in Path(data).iterdir()):
        from scorecause.errors import DataError

        raise DataError(f"{data!r} holds .npz image environments; add --images (scorecause crl {data} --method "
                        "gscale --images -o OUT)")
    _guard_outputs([Path(out_dir) / f for f in ("latents.csv", "graph.json", "encoder.csv", "report.html")],
                   inputs=[data, truth, true_latents], overwrite=overwrite)
    for path in fit_from_path(data, method=method, out_dir=out_dir, intervention=intervention,
                              scores=scores, random_state=seed):
        click.echo(f"wrote {path}")
    click.echo(f"wrote {write_crl_report(out_dir, truth=truth, true_latents=true_latents, data_description=data)}")


def _crl_images(data, method, out_dir, scores, seed, truth, true_latents, per_node, labels, n_labels, pose_map,
                pose_baseline, device, params, overwrite) -> None:
    """``crl --images``: autoencoder + GSCALE-I on image environments (:mod:`scorecause.crl.images`)."""
    from pathlib import Path

    from scorecause.crl.images import IMAGE_OUTPUTS, ImageGSCALE, fit_images_from_path
    from scorecause.errors import ConfigError
    from scorecause.report import write_crl_report

    _reject_options_given(["intervention"], "--images (image runs assume hard interventions)")
    if method != "gscale":
        raise ConfigError(f"--images runs GSCALE-I on autoencoder codes; use --method gscale (got {method!r})")
    _guard_outputs([Path(out_dir) / f for f in IMAGE_OUTPUTS], inputs=[data, truth, true_latents, labels],
                   overwrite=overwrite)
    est_params, gscale_params = {"scores": scores} if scores else {}, {}
    accepted = ImageGSCALE().get_params()
    for text in params:
        name, value = _parse_param(text)
        if name.startswith("gscale."):
            gscale_params[name[len("gscale."):]] = value
        elif name in accepted:
            est_params[name] = value
        else:
            raise ConfigError(f"--param {name}: ImageGSCALE has no such parameter; choose one of "
                              f"{', '.join(sorted(accepted))} or gscale.NAME")
    if gscale_params:
        est_params["gscale_params"] = gscale_params
    written, est, envs, metrics = fit_images_from_path(
        data, out_dir=out_dir, random_state=seed, device=device, per_node=per_node if per_node == "auto"
        else int(per_node), labels=labels, n_labels=n_labels, pose_map=pose_map, pose_baseline=pose_baseline,
        progress=True, estimator_params=est_params)
    for path in written:
        click.echo(f"wrote {path}")
    Zt = true_latents if true_latents is not None else (envs.latents[0] if envs.latents is not None else None)
    sample = envs.images[0][:8]
    click.echo("wrote " + str(write_crl_report(
        out_dir, truth=truth, true_latents=Zt, data_description=data,
        images=(est.target(sample), est.reconstruct(sample)), extra_metrics=metrics)))


# --- bench commands: bench, bench-report ---
_EXAMPLE_SPEC = """\
# Example spec for `scorecause bench` (every field: docs/benchmarks.md, section "The spec").
#   scorecause bench spec.yaml -o runs/example
#   scorecause bench-report runs/example --html report.html --markdown table.md
name: example
datasets:                     # each entry is a grid: preset x d x n x seed
  - simulate: [linear-gaussian, linear-nongaussian]   # presets: scorecause simulate --list-presets
    d: [5]                    # a list is a grid axis
    n: 200
    seeds: 2                  # seeds 0 and 1 (or a list of seeds)
  # - real: sachs             # bundled data (scorecause datasets list)
  #   params: {observational_only: true}
  # - file: data/my.csv       # your CSV/Parquet; do(<var>) columns mark interventions
  #   truth: data/my_graph.csv
methods:                      # registry names (scorecause discover --help), or {name, params, label}
  - empty                     # the no-edge floor
  - varsort
  - {name: score, params: {alpha: 0.01}, label: score-0.01}
metrics: [shd, f1, sid]       # scorecause.metrics.METRICS
time_limit: 120               # seconds per cell; a slower cell becomes a 'timeout' row
memory_limit: 4GB             # per cell
"""


def _print_example_spec(ctx, _param, value):
    if not value or ctx.resilient_parsing:
        return
    click.echo(_EXAMPLE_SPEC, nl=False)
    ctx.exit()


@main.command("bench", epilog=_example(
    "scorecause bench --example-spec > spec.yaml",
    "scorecause bench spec.yaml -o runs/example",
    note="spec format: --example-spec prints a commented spec; all fields in docs/benchmarks.md"))
@click.argument("spec", type=click.Path(exists=True, dir_okay=False))
@click.option("--example-spec", is_flag=True, expose_value=False, is_eager=True, callback=_print_example_spec,
              help="Print a small commented example spec (YAML) and exit.")
@click.option("--out", "-o", "out", required=True, type=click.Path(file_okay=False), help="Results folder.")
@click.option("--resume", is_flag=True, help="Continue a run in --out: finished cells are skipped.")
@click.option("--retry-failed", is_flag=True, help="With --resume: run failed / timed-out cells again.")
@click.option("--backend", type=click.Choice(["local", "dask", "ray"]), default="local", show_default=True,
              help="local processes (loky), a Dask cluster, or Ray, all through joblib.")
@click.option("--n-jobs", type=int, default=1, show_default=True,
              help="Local worker processes (or LocalCluster workers / local Ray CPUs); -1 = all cores.")
@click.option("--scheduler", default=None, help="Dask scheduler address tcp://host:port (implies --backend dask).")
@click.option("--address", default=None, help="Ray cluster address, e.g. auto or ray://host:10001 (backend ray).")
@click.option("--csv", "csv", is_flag=True, help="Also write results.csv.")
@click.option("--isolation", type=click.Choice(["process", "fork", "none"]), default="process", show_default=True,
              help="process: a reused cell process per worker, replaced after a time-out/crash; fork: a fresh "
                   "process per cell; none: in the worker (no memory limit).")
@click.option("--no-progress", is_flag=True, help="Hide the progress bar.")
@friendly_errors
def bench_command(spec, out, resume, retry_failed, backend, n_jobs, scheduler, address, csv, isolation,
                  no_progress):
    """Run the benchmark grid of SPEC (YAML) and write OUT/results.parquet (one row per cell).

    Each cell runs in its own process with the spec's time_limit / memory_limit; failures are rows,
    never the end of the run. Kill it any time and continue with --resume.
    """
    from scorecause.bench import run_bench
    from scorecause.fileio import check_results_folder

    check_results_folder(out)
    if scheduler and backend == "local":
        backend = "dask"
    try:
        df = run_bench(spec, out, backend=backend, n_jobs=n_jobs, scheduler=scheduler, address=address,
                       resume=resume, retry_failed=retry_failed, csv=csv, progress=not no_progress,
                       isolate=isolation)
    except KeyboardInterrupt:
        click.echo(f"interrupted; finished cells are saved in {out}; continue with --resume", err=True)
        sys.exit(130)
    counts = df["status"].value_counts().to_dict() if len(df) else {}
    click.echo(f"{len(df)} cells in {out}/results.parquet: "
               + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())))


@main.command("bench-report", epilog=_example(
    "scorecause bench --example-spec > spec.yaml",
    "scorecause bench spec.yaml -o runs/example",
    "scorecause bench-report runs/example --html report.html --markdown table.md"))
@click.argument("results", type=click.Path(exists=True, file_okay=False))
@click.option("--html", "html", type=click.Path(dir_okay=False), default=None,
              help="Self-contained HTML report (tables + embedded PNG figures).")
@click.option("--markdown", "markdown", type=click.Path(dir_okay=False), default=None,
              help="Markdown table: mean ± standard error per (method, setting).")
@click.option("--figures", "figures", type=click.Path(file_okay=False), default=None,
              help="Folder for the PNG figures (default: RESULTS/figures when --html is given).")
@click.option("--metrics", "metrics", default=None, help="Comma-separated metrics for the table (default: all).")
@_overwrite_option
@friendly_errors
def bench_report_command(results, html, markdown, figures, metrics, overwrite):
    """Summarise a benchmark folder RESULTS: tables, figures, HTML and markdown."""
    from scorecause.bench import report

    metrics = [m.strip() for m in metrics.split(",")] if metrics else None
    _guard_outputs([html, markdown], inputs=[f"{results}/{f}" for f in ("results.parquet", "results.csv",
                                                                         "spec.json", "parts")], overwrite=overwrite)
    written = report.write_report(results, html=html, markdown=markdown, figures_dir=figures, metrics=metrics)
    if not (html or markdown):
        click.echo(report.markdown_table(report.summarize(report.load_results(results), metrics=metrics)))
    for path in written:
        click.echo(f"wrote {path}")



if __name__ == "__main__":  # pragma: no cover
    main()
