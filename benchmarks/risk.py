"""Risk-averse equilibria against Nash equilibria in the multi-agent risk games.

One run, four parts:

1. **Stag hunt** ``[[4, 0], [3, 3]]``: the risk-averse equilibrium (smoothed
   fictitious play) against the risk weight ``gamma``, from starts near
   (Stag, Stag) and from the uniform start.
2. **Matrix games with catastrophes**: Nash (highest-welfare equilibrium) against
   RAE on the ``matrix_risk_v0`` presets and on random 3x3 games whose higher-mean
   cells carry rare large losses: payoff mean and variance (exact, from the
   per-cell second moments), plus episodes of ``matrix_risk_v0`` played from both
   profiles (mean, variance, CVaR, catastrophe rate).
3. **intersection_v0, PSRO with the exact oracle**: PSRO-Nash (Nash meta-solver,
   risk-neutral best responses) against PSRO-RAE (RAE meta-solver, mean-variance
   best responses), both over the same 12 threshold drivers
   (``intersection_v0.gap_policies``), from a uniformly random driver, over
   several seeds. Payoff = return - ``cost_weight`` x crash cost. The final
   meta-mixtures play self-play evaluation episodes; reported: crash rate per seed,
   bootstrap 95 % CIs over seeds, the Nash / RAE crash ratio (paired bootstrap over
   seeds), a sensitivity grid over ``cost_weight`` and ``gamma``, and the same
   comparison with noisier Monte-Carlo estimates (300 episodes per entry).
4. **intersection_v0, PSRO with the PPO oracle** (Stable-Baselines3): the same
   comparison with best responses learned by PPO through the single-agent view of
   the env (fewer seeds and iterations, to fit the time budget).

Writes ``risk.json`` and ``risk.png`` under ``--out``. ``--quick`` shrinks every
part (smoke test); ``--workers`` runs the PPO part in parallel processes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timezone
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np

from rewardgym.agents.games import (
    nash_equilibria,
    profile_moments,
    risk_averse_equilibrium,
)
from rewardgym.agents.psro import (
    PSRO,
    EnumerativeOracle,
    PSROConfig,
    RandomPolicy,
    RLOracle,
    SimulatorGame,
    evaluate_mixture,
)
from rewardgym.agents.risk_metrics import bootstrap_ci, risk_report
from rewardgym.envs.risk import intersection_v0, matrix_risk_v0

STAG_HUNT = np.array([[4.0, 0.0], [3.0, 3.0]])


# -- part 1: stag hunt ---------------------------------------------------------------------


def stag_hunt(gammas: list[float], iterations: int) -> dict[str, Any]:
    A = STAG_HUNT
    starts = {"near_stag_0.9": 0.9, "near_stag_0.97": 0.97, "uniform": 0.5}
    rows = []
    for gamma in gammas:
        row: dict[str, Any] = {"gamma": gamma}
        for name, s in starts.items():
            init = ([s, 1 - s], [s, 1 - s])
            p, q = risk_averse_equilibrium(A, A.T, gamma, init=init, iterations=iterations)
            row[name] = {"p_stag_row": float(p[0]), "p_stag_col": float(q[0])}
        rows.append(row)
    eqs = [(p.tolist(), q.tolist()) for p, q in nash_equilibria(A, A.T)]
    return {"payoffs_row": A.tolist(), "nash_equilibria": eqs, "rae_by_gamma": rows}


# -- part 2: matrix games with catastrophes ---------------------------------------------


def random_catastrophe_game(rng: np.random.Generator, n: int = 3) -> matrix_risk_v0.MatrixGame:
    """Base payoffs uniform in [0, 4]; about a third of the cells become risky:
    their expected payoff rises by up to 0.5, paid for by a probability 1-5 % of a
    loss of 10 to 30 for both players."""
    A, B = rng.uniform(0, 4, (n, n)), rng.uniform(0, 4, (n, n))
    risky = rng.random((n, n)) < 0.35
    prob = np.where(risky, rng.uniform(0.01, 0.05, (n, n)), 0.0)
    loss = -rng.uniform(10, 30, (n, n))
    bonus = rng.uniform(0.0, 0.5, (n, n))

    # normal payoff so that the cell's mean is base + bonus despite the loss
    def normal(M: np.ndarray) -> np.ndarray:
        return np.where(risky, (M + bonus - prob * loss) / (1 - prob), M)

    return matrix_risk_v0.MatrixGame.with_catastrophes(
        normal(A), normal(B), prob, loss, loss, name="random"
    )


def _nash_profile(A: np.ndarray, B: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    eqs = nash_equilibria(A, B)
    welfare = [float(p @ (A + B) @ q) for p, q in eqs]
    p, q = eqs[int(np.argmax(welfare))]
    return p, q, len(eqs)


def _profile_stats(
    game: matrix_risk_v0.MatrixGame, p: np.ndarray, q: np.ndarray
) -> dict[str, float]:
    A, B = game.expected_payoffs
    m = profile_moments(A, B, p, q, second_moments=game.second_moments)
    return {
        "mean": 0.5 * (m["row_mean"] + m["col_mean"]),
        "variance": 0.5 * (m["row_var"] + m["col_var"]),
        "catastrophe_prob": float(p @ game.catastrophe_probabilities @ q),
    }


def _play_profile(
    game: matrix_risk_v0.MatrixGame, p: np.ndarray, q: np.ndarray, episodes: int, seed: int
) -> dict[str, Any]:
    """Episodes of matrix_risk_v0 (one round each), both players sampling their mixed
    strategies: the row player's payoffs and the catastrophes."""
    env = matrix_risk_v0.parallel_env(game=game, rounds=1)
    rng = np.random.default_rng(seed)
    returns, cats = np.zeros(episodes), np.zeros(episodes)
    for e in range(episodes):
        env.reset(seed=seed + e)
        actions = {
            "player_0": int(rng.choice(len(p), p=p)),
            "player_1": int(rng.choice(len(q), p=q)),
        }
        _, rewards, _, _, infos = env.step(actions)
        returns[e] = rewards["player_0"]
        cats[e] = infos["player_0"]["catastrophe"]
    return risk_report(returns, cats).to_dict()


def catastrophe_games(gamma: float, random_games: int, episodes: int, seed: int) -> dict[str, Any]:
    presets = {}
    for name in matrix_risk_v0.PRESETS:
        game = matrix_risk_v0.preset(name)
        A, B = game.expected_payoffs
        pn, qn, count = _nash_profile(A, B)
        pr, qr = risk_averse_equilibrium(A, B, gamma, second_moments=game.second_moments)
        presets[name] = {
            "nash_equilibria_found": count,
            "nash": {"p": pn.tolist(), "q": qn.tolist(), **_profile_stats(game, pn, qn)},
            "rae": {"p": pr.tolist(), "q": qr.tolist(), **_profile_stats(game, pr, qr)},
        }
    cat = matrix_risk_v0.preset("catastrophe")
    A, B = cat.expected_payoffs
    pn, qn, _ = _nash_profile(A, B)
    pr, qr = risk_averse_equilibrium(A, B, gamma, second_moments=cat.second_moments)
    played = {
        "nash": _play_profile(cat, pn, qn, episodes, seed),
        "rae": _play_profile(cat, pr, qr, episodes, seed + 10**6),
    }
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(random_games):
        game = random_catastrophe_game(rng)
        A, B = game.expected_payoffs
        pn, qn, _ = _nash_profile(A, B)
        pr, qr = risk_averse_equilibrium(A, B, gamma, second_moments=game.second_moments)
        rows.append({"nash": _profile_stats(game, pn, qn), "rae": _profile_stats(game, pr, qr)})
    nm = np.array([r["nash"]["mean"] for r in rows])
    rm = np.array([r["rae"]["mean"] for r in rows])
    nv = np.array([r["nash"]["variance"] for r in rows])
    rv = np.array([r["rae"]["variance"] for r in rows])
    summary = {
        "games": random_games,
        "mean_payoff": {"nash": float(nm.mean()), "rae": float(rm.mean())},
        "mean_variance": {"nash": float(nv.mean()), "rae": float(rv.mean())},
        "median_variance": {"nash": float(np.median(nv)), "rae": float(np.median(rv))},
        # "lower"/"higher" by more than 0.01 (smoothed play is never exactly pure)
        "fraction_rae_variance_lower": float(np.mean(rv < nv - 0.01)),
        "fraction_rae_variance_higher": float(np.mean(rv > nv + 0.01)),
        "mean_payoff_cost_of_rae": float((nm - rm).mean()),
        "mean_variance_reduction": float((nv - rv).mean()),
    }
    return {
        "gamma": gamma,
        "presets": presets,
        "catastrophe_episodes": played,
        "random_games": summary,
        "random_games_points": [
            [r["nash"]["mean"], r["nash"]["variance"], r["rae"]["mean"], r["rae"]["variance"]]
            for r in rows
        ],
    }


# -- part 3: intersection, exact oracle ----------------------------------------------------


def _crash_summary(rates: dict[str, list[float]], seed: int) -> dict[str, Any]:
    nash, rae = np.array(rates["nash"]), np.array(rates["rae"])
    out: dict[str, Any] = {}
    for name, x in (("nash", nash), ("rae", rae)):
        lo, hi = bootstrap_ci(x, seed=seed)
        out[name] = {"mean": float(x.mean()), "ci95": [lo, hi], "per_seed": x.tolist()}

    def ratio(idx: np.ndarray) -> float:
        den = rae[idx].mean()
        return float(nash[idx].mean() / den) if den > 0 else float("nan")

    value = ratio(np.arange(len(nash)))
    rng = np.random.default_rng(seed)
    boots = np.array([ratio(rng.integers(len(nash), size=len(nash))) for _ in range(10_000)])
    finite = boots[np.isfinite(boots)]
    out["ratio_nash_over_rae"] = {
        "value": value if np.isfinite(value) else None,
        "ci95": [float(np.quantile(finite, 0.025)), float(np.quantile(finite, 0.975))]
        if finite.size
        else None,
        "note": "paired bootstrap over seeds (resamples where RAE had no crash are dropped)",
    }
    return out


def _psro_run(
    game: SimulatorGame,
    oracle: Any,
    solver: str,
    gamma: float,
    iterations: int,
    episodes: int,
    eval_episodes: int,
    seed: int,
) -> dict[str, Any]:
    kwargs = {"gamma": gamma} if solver == "rae" else {}
    init = RandomPolicy(len(game.simulator.params.speed_levels), seed=seed, name="random")
    config = PSROConfig(
        iterations=iterations, meta_solver=solver, meta_solver_kwargs=kwargs,
        episodes=episodes, seed=seed,
    )  # fmt: skip
    start = time.perf_counter()
    result = PSRO(game, oracle, ([init], [init]), config).run()
    ev = evaluate_mixture(game, result.populations, result.mixtures, eval_episodes, seed + 7919)
    payoffs = ev.payoffs.mean(axis=1)  # the two drivers' mean payoff per episode
    report = risk_report(payoffs, ev.catastrophes).to_dict()
    return {
        "seed": seed,
        "crash_rate": report["catastrophe_rate"],
        "payoff": report,
        "population": [[p.name for p in pop] for pop in result.populations],
        "mixtures": [m.round(4).tolist() for m in result.mixtures],
        "meta_game": {
            "mean": result.meta_game.mean.round(4).tolist(),
            "variance": result.meta_game.variance.round(4).tolist(),
            "crash_rate": result.meta_game.catastrophe_rate.round(4).tolist(),
        },
        "iterations_run": len(result.history),
        "converged": result.converged,
        "seconds": time.perf_counter() - start,
    }


def intersection_exact(
    seeds: list[int],
    cost_weight: float,
    gamma: float,
    iterations: int,
    episodes: int,
    eval_episodes: int,
) -> dict[str, Any]:
    params = intersection_v0.IntersectionParams()
    game = SimulatorGame(intersection_v0.IntersectionSimulator(params), cost_weight=cost_weight)
    candidates = intersection_v0.gap_policies(params, gaps=(0.0, 0.5, 1.0, 2.0))
    runs: dict[str, list[dict[str, Any]]] = {"nash": [], "rae": []}
    for seed in seeds:
        for solver in ("nash", "rae"):
            oracle = EnumerativeOracle(
                game, candidates, episodes=episodes, seed=seed,
                risk_aversion=gamma if solver == "rae" else 0.0,
            )  # fmt: skip
            runs[solver].append(
                _psro_run(game, oracle, solver, gamma, iterations, episodes, eval_episodes, seed)
            )
    rates = {k: [r["crash_rate"] for r in v] for k, v in runs.items()}
    return {
        "cost_weight": cost_weight,
        "gamma": gamma,
        "candidates": [c.name for c in candidates],
        "crash_rate": _crash_summary(rates, seed=0),
        "mean_payoff": {
            k: float(np.mean([r["payoff"]["mean"] for r in v])) for k, v in runs.items()
        },
        "payoff_variance": {
            k: float(np.mean([r["payoff"]["variance"] for r in v])) for k, v in runs.items()
        },
        "cvar_05": {
            k: float(np.mean([r["payoff"]["cvar_05"] for r in v])) for k, v in runs.items()
        },
        "runs": runs,
    }


# -- part 4: intersection, PPO oracle ------------------------------------------------------


def _rl_job(job: dict[str, Any]) -> dict[str, Any]:
    """One PSRO run with the PPO oracle (a process-pool task)."""
    import torch

    torch.set_num_threads(1)
    params = intersection_v0.IntersectionParams()
    game = SimulatorGame(
        intersection_v0.IntersectionSimulator(params), cost_weight=job["cost_weight"]
    )
    oracle = RLOracle(
        intersection_v0.parallel_env,
        total_timesteps=job["timesteps"],
        cost_weight=job["cost_weight"],
        risk_aversion=job["gamma"] if job["solver"] == "rae" else 0.0,
    )
    out = _psro_run(
        game, oracle, job["solver"], job["gamma"], job["iterations"], job["episodes"],
        job["eval_episodes"], job["seed"],
    )  # fmt: skip
    out["solver"] = job["solver"]
    return out


def intersection_rl(
    seeds: list[int],
    cost_weight: float,
    gamma: float,
    iterations: int,
    timesteps: int,
    episodes: int,
    eval_episodes: int,
    workers: int,
) -> dict[str, Any]:
    jobs = [
        {
            "seed": s, "solver": solver, "cost_weight": cost_weight, "gamma": gamma,
            "iterations": iterations, "timesteps": timesteps, "episodes": episodes,
            "eval_episodes": eval_episodes,
        }
        for s in seeds
        for solver in ("nash", "rae")
    ]  # fmt: skip
    if workers > 1:
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            results = list(pool.map(_rl_job, jobs))
    else:
        results = [_rl_job(j) for j in jobs]
    runs: dict[str, list[dict[str, Any]]] = {"nash": [], "rae": []}
    for r in results:
        runs[r.pop("solver")].append(r)
    rates = {k: [r["crash_rate"] for r in v] for k, v in runs.items()}
    return {
        "cost_weight": cost_weight,
        "gamma": gamma,
        "iterations": iterations,
        "ppo_timesteps_per_best_response": timesteps,
        "crash_rate": _crash_summary(rates, seed=1),
        "mean_payoff": {
            k: float(np.mean([r["payoff"]["mean"] for r in v])) for k, v in runs.items()
        },
        "runs": runs,
    }


# -- plot and main -----------------------------------------------------------------------


def plot(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(12, 9))
    ax = axes[0, 0]
    rows = results["stag_hunt"]["rae_by_gamma"]
    gammas = [r["gamma"] for r in rows]
    for key in ("near_stag_0.9", "near_stag_0.97", "uniform"):
        ax.plot(gammas, [r[key]["p_stag_row"] for r in rows], "o-", label=f"start {key}")
    ax.set_xscale("symlog", linthresh=0.05)
    ax.set_xlabel("risk weight gamma")
    ax.set_ylabel("P(Stag) at the RAE")
    ax.set_title("Stag hunt [[4,0],[3,3]]: RAE by smoothed fictitious play")
    ax.legend()

    ax = axes[0, 1]
    pts = np.array(results["catastrophe_games"]["random_games_points"])
    ax.scatter(pts[:, 1], pts[:, 0], s=12, alpha=0.6, label="Nash (max welfare)")
    ax.scatter(pts[:, 3], pts[:, 2], s=12, alpha=0.6, label="RAE")
    ax.set_xscale("symlog", linthresh=0.1)
    ax.set_xlabel("payoff variance")
    ax.set_ylabel("mean payoff")
    g = results["catastrophe_games"]["gamma"]
    ax.set_title(f"Random 3x3 games with catastrophes (gamma={g})")
    ax.legend()

    ax = axes[1, 0]
    labels, means, errs, colors = [], [], [], []
    parts = [("exact oracle", results["intersection_exact"])]
    if results.get("intersection_rl"):
        parts.append(("PPO oracle", results["intersection_rl"]))
    for label, part in parts:
        for solver, color in (("nash", "tab:red"), ("rae", "tab:blue")):
            c = part["crash_rate"][solver]
            labels.append(f"PSRO-{solver.upper()}\n{label}")
            means.append(c["mean"])
            errs.append([c["mean"] - c["ci95"][0], c["ci95"][1] - c["mean"]])
            colors.append(color)
    xs = np.arange(len(labels))
    ax.bar(xs, means, color=colors, yerr=np.array(errs).T, capsize=5)
    ax.set_xticks(xs)
    ax.set_xticklabels(labels)
    ax.set_ylabel("crashes per episode (self-play of final mixtures)")
    ratio = results["intersection_exact"]["crash_rate"]["ratio_nash_over_rae"]["value"]
    ratio_text = f"{ratio:.1f}x" if ratio is not None else "n/a"
    ax.set_title(f"intersection_v0: crash rate, 95% bootstrap CI over seeds (exact: {ratio_text})")

    ax = axes[1, 1]
    grid = results.get("sensitivity")
    if grid:
        cws = sorted({r["cost_weight"] for r in grid})
        gms = sorted({r["gamma"] for r in grid})
        mat = np.full((len(cws), len(gms)), np.nan)
        for r in grid:
            v = r["ratio"]
            mat[cws.index(r["cost_weight"]), gms.index(r["gamma"])] = np.nan if v is None else v
        im = ax.imshow(mat, cmap="viridis", origin="lower")
        for i in range(len(cws)):
            for j in range(len(gms)):
                ax.text(j, i, f"{mat[i, j]:.1f}x", ha="center", va="center", color="w")
        ax.set_xticks(range(len(gms)))
        ax.set_xticklabels([str(g) for g in gms])
        ax.set_yticks(range(len(cws)))
        ax.set_yticklabels([str(c) for c in cws])
        ax.set_xlabel("gamma (RAE)")
        ax.set_ylabel("cost weight in the payoff")
        ax.set_title("Crash ratio PSRO-Nash / PSRO-RAE (exact oracle)")
        fig.colorbar(im, ax=ax)
    else:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small settings (smoke test)")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results"))
    parser.add_argument("--workers", type=int, default=2, help="processes for the PPO part")
    parser.add_argument("--no-rl", action="store_true", help="skip the PPO-oracle part")
    args = parser.parse_args(argv)
    quick = args.quick

    cfg: dict[str, Any] = {
        "quick": quick,
        "stag_hunt": {
            "gammas": [0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0, 2.0],
            "iterations": 500 if quick else 3000,
        },
        "catastrophe_games": {
            "gamma": 0.1,
            "random_games": 30 if quick else 300,
            "episodes": 500 if quick else 20_000,
            "seed": 0,
        },
        "intersection_exact": {
            "seeds": [0, 1] if quick else [0, 1, 2, 3, 4],
            "cost_weight": 1.0,
            "gamma": 1.0,
            "iterations": 6 if quick else 10,
            "episodes": 1000,
            "eval_episodes": 1000 if quick else 5000,
        },
        "noisy_meta_game": {"episodes": 300, "seeds": list(range(8))},
        "sensitivity": {
            "cost_weights": [0.5, 1.0, 2.0],
            "gammas": [0.5, 1.0, 2.0],
            "seeds": [0, 1, 2, 3, 4],
        },
        "intersection_rl": {
            "seeds": [0] if quick else [0, 1, 2],
            "cost_weight": 1.0,
            "gamma": 1.0,
            "iterations": 1 if quick else 2,
            "timesteps": 1024 if quick else 30_000,
            "episodes": 100 if quick else 1000,
            "eval_episodes": 500 if quick else 5000,
            "workers": args.workers,
        },
    }
    results: dict[str, Any] = {
        "benchmark": "risk",
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "config": cfg,
        "seconds": {},
    }
    t0 = time.perf_counter()
    results["stag_hunt"] = stag_hunt(**cfg["stag_hunt"])
    results["seconds"]["stag_hunt"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    results["catastrophe_games"] = catastrophe_games(**cfg["catastrophe_games"])
    results["seconds"]["catastrophe_games"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    results["intersection_exact"] = intersection_exact(**cfg["intersection_exact"])
    results["seconds"]["intersection_exact"] = time.perf_counter() - t0

    if not quick:
        t0 = time.perf_counter()
        sens = cfg["sensitivity"]
        base = cfg["intersection_exact"]
        grid = []
        for cw in sens["cost_weights"]:
            for g in sens["gammas"]:
                if (cw, g, sens["seeds"]) == (base["cost_weight"], base["gamma"], base["seeds"]):
                    part = results["intersection_exact"]  # the main run is one cell of the grid
                else:
                    part = intersection_exact(
                        sens["seeds"], cw, g, base["iterations"], base["episodes"],
                        base["eval_episodes"],
                    )  # fmt: skip
                cr = part["crash_rate"]
                grid.append({
                    "cost_weight": cw, "gamma": g,
                    "crash_nash": cr["nash"]["mean"], "crash_rae": cr["rae"]["mean"],
                    "ratio": cr["ratio_nash_over_rae"]["value"],
                    "payoff_nash": part["mean_payoff"]["nash"],
                    "payoff_rae": part["mean_payoff"]["rae"],
                })  # fmt: skip
        results["sensitivity"] = grid
        results["seconds"]["sensitivity"] = time.perf_counter() - t0
        # the same comparison with noisier meta-game and oracle estimates
        t0 = time.perf_counter()
        noisy = cfg["noisy_meta_game"]
        part = intersection_exact(
            noisy["seeds"], base["cost_weight"], base["gamma"], base["iterations"],
            noisy["episodes"], base["eval_episodes"],
        )  # fmt: skip
        results["noisy_meta_game"] = {
            "episodes_per_entry": noisy["episodes"],
            "crash_rate": part["crash_rate"],
            "mean_payoff": part["mean_payoff"],
        }
        results["seconds"]["noisy_meta_game"] = time.perf_counter() - t0

    rl_cfg = dict(cfg["intersection_rl"])
    if args.no_rl:
        results["intersection_rl"] = None
        results["oracle_note"] = "PPO part skipped (--no-rl); the exact oracle results stand alone"
    else:
        t0 = time.perf_counter()
        results["intersection_rl"] = intersection_rl(**rl_cfg)
        results["seconds"]["intersection_rl"] = time.perf_counter() - t0
        results["oracle_note"] = (
            "Main comparison (5 seeds): exact enumerative oracle over 12 threshold drivers, "
            "cheap enough for many seeds and a sensitivity grid. PPO oracle (SB3) run on "
            f"{len(rl_cfg['seeds'])} seeds x {rl_cfg['iterations']} PSRO iterations x "
            f"{rl_cfg['timesteps']} steps per best response, the most that fits the time "
            "budget on 2 cores."
        )
    results["notes"] = [
        "intersection payoff = episode return - cost_weight * crash cost (crash_cost 1.0)",
        "PSRO-Nash: Nash meta-solver (highest-welfare equilibrium) and risk-neutral best "
        "responses; PSRO-RAE: RAE meta-solver and mean-variance best responses "
        "(risk_aversion = gamma); both start from a uniformly random driver",
        "crash rate = episodes with a crash / episodes, in self-play of the final "
        "meta-mixtures; CIs are percentile bootstraps over seeds",
        "RAE treats within-entry (Monte-Carlo) variance as a cost linear in the mixture; "
        "the across-opponent covariance is the quadratic term of Slumbers et al.",
    ]
    results["seconds"]["total"] = sum(results["seconds"].values())

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "risk.json").write_text(json.dumps(results, indent=2) + "\n")
    plot(results, out / "risk.png")

    ex = results["intersection_exact"]["crash_rate"]
    print(f"stag hunt: {results['seconds']['stag_hunt']:.1f}s")
    rg = results["catastrophe_games"]["random_games"]
    print(
        f"catastrophe games: variance Nash {rg['mean_variance']['nash']:.3f} vs RAE "
        f"{rg['mean_variance']['rae']:.3f}, mean {rg['mean_payoff']['nash']:.3f} vs "
        f"{rg['mean_payoff']['rae']:.3f}"
    )
    for name, part in (
        ("exact", ex),
        ("ppo", (results["intersection_rl"] or {}).get("crash_rate")),
    ):
        if not part:
            continue
        r = part["ratio_nash_over_rae"]
        print(
            f"intersection ({name} oracle): crash rate Nash {part['nash']['mean']:.4f} "
            f"{np.round(part['nash']['ci95'], 4).tolist()}, RAE {part['rae']['mean']:.4f} "
            f"{np.round(part['rae']['ci95'], 4).tolist()}, ratio {r['value']} CI {r['ci95']}"
        )
    print(f"total {results['seconds']['total']:.1f}s; wrote {out / 'risk.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
