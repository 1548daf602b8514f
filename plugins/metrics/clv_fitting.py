"""Maximum likelihood over log-parameters for the CLV models (``clv_models``): L-BFGS-B with
the exact gradient, and Newton's method with the exact Hessian to finish from a nearby point.

Both minimise the mean negative log-likelihood per customer, f(θ) = −ln L(e^θ) / W (W = the
total weight), so tolerances do not depend on the data size. With p = e^θ and g, H the
gradient and Hessian of ln L in the parameters::

    ∇f = −(g ⊙ p) / W,    ∇²f = −(diag(p) · H · diag(p) + diag(g ⊙ p)) / W
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass

import numpy as np

try:  # L-BFGS-B calls scipy's threaded OpenBLAS; its idle threads spin and, on a busy
    # machine, steal the CPU the likelihood needs (measured 3× slower). One thread is enough.
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover - optional
    threadpool_limits = None

_BLAS_LIMIT = threading.Lock()  # see one_blas_thread
BOUND = 18.0  # |log parameter| bound: parameters in [1.5e-8, 6.6e7]
_NEWTON_STEPS = 30
_LAST_STEP = 1e-6  # a Newton step this small (in log-parameters) is the last one needed
_NOISE = 1e-13  # relative rounding noise of f allowed when comparing two evaluations


@dataclass(frozen=True, slots=True)
class Fit:
    """A maximum-likelihood fit: named parameters, total log-likelihood, diagnostics."""

    params: dict[str, float]
    log_likelihood: float
    n_customers: int
    converged: bool
    message: str


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """One BLAS thread and no floating-point warnings while a model is fitted. The limit is
    process-wide and threadpoolctl is not thread-safe (the limit is set when
    ``threadpool_limits`` is created): builds run side by side, so fits take turns."""
    with _BLAS_LIMIT:
        limit = threadpool_limits(1, user_api="blas") if threadpool_limits else nullcontext()
        with limit, np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            yield


def dot(u: np.ndarray, v: np.ndarray) -> float:
    """Σ u·v without BLAS: a threaded BLAS dot stalls on a busy machine (seen: 4 ms vs 20 µs)."""
    return float(np.einsum("i,i->", u, v))


def fit_lbfgs(
    loglik,
    names: tuple[str, ...],
    total_weight: float,
    *,
    theta0: np.ndarray | None = None,
    tol: tuple[float, float] = (1e-15, 1e-9),
) -> Fit:
    """Maximise ``loglik(params) -> (ln L, gradient)`` by L-BFGS-B from ``theta0`` (default
    all parameters 1); ``tol`` = (ftol, gtol) of scipy's L-BFGS-B. Call inside
    :func:`one_blas_thread`."""
    from scipy import optimize  # on use (the metric's prepare imports it early)

    if total_weight <= 0:
        return Fit({k: math.nan for k in names}, math.nan, 0, False, "no customers")
    scale = 1.0 / total_weight

    def objective(theta):
        params = np.exp(theta)
        ll, grad = loglik(params)
        if not np.isfinite(ll):
            return np.inf, np.zeros_like(theta)
        return -ll * scale, -grad * params * scale

    res = optimize.minimize(
        objective,
        np.zeros(len(names)) if theta0 is None else np.asarray(theta0, dtype=float),
        jac=True,
        method="L-BFGS-B",
        bounds=[(-BOUND, BOUND)] * len(names),
        options={"maxiter": 2000, "ftol": tol[0], "gtol": tol[1], "maxcor": 10},
    )
    return _result(names, res.x, float(res.fun), res.jac, total_weight, str(res.message))


def fit_newton(loglik, names: tuple[str, ...], total_weight: float, theta0) -> Fit | None:
    """Minimise f by Newton steps θ ← θ − (∇²f)⁻¹∇f from ``theta0``, a point near the optimum;
    ``loglik(params, hessian)`` returns (ln L, gradient) or, with ``hessian``, also H.

    A step that does not lower f (beyond rounding) is halved. Once a step moves no
    log-parameter by more than ``_LAST_STEP`` it is the last: Newton's error is squared at
    each step, so after it the parameters are at the optimum to ~1e-12; f and ∇f are
    evaluated there (without H). Returns None when ∇²f is not positive definite, a step
    leaves the bounds or halving does not help, or after ``_NEWTON_STEPS`` steps: the
    caller then finishes with L-BFGS-B. Call inside :func:`one_blas_thread`."""
    if total_weight <= 0:
        return None
    scale = 1.0 / total_weight

    def evaluate(theta, hessian):
        p = np.exp(theta)
        out = loglik(p, hessian)
        f, g = -out[0] * scale, -out[1] * p * scale
        return f, g, (-(out[2] * np.outer(p, p)) * scale + np.diag(g)) if hessian else None

    theta = np.asarray(theta0, dtype=float)
    f, g, H = evaluate(theta, True)
    for _ in range(_NEWTON_STEPS):
        if not (np.isfinite(f) and np.all(np.isfinite(H))):
            return None
        try:
            np.linalg.cholesky(H)  # positive definite: a minimum's neighbourhood
        except np.linalg.LinAlgError:
            return None
        step = np.linalg.solve(H, -g)
        if np.max(np.abs(step)) < _LAST_STEP:
            f1, g1, _ = evaluate(theta + step, False)
            if np.isfinite(f1) and f1 <= f + _NOISE * abs(f):
                theta, f, g = theta + step, f1, g1
            return _result(names, theta, f, g, total_weight, "converged (Newton)")
        for _halving in range(11):
            new = theta + step
            if np.any(np.abs(new) >= BOUND):
                return None
            f1, g1, H1 = evaluate(new, True)
            if np.isfinite(f1) and f1 <= f + _NOISE * abs(f):
                break
            step = step / 2
        else:
            return None
        theta, f, g, H = new, f1, g1, H1
    return None


def fit_start_then_newton(
    start_loglik, loglik, names: tuple[str, ...], start_weight: float, total_weight: float
) -> Fit:
    """L-BFGS-B with loose tolerances on ``start_loglik(params)`` (the rows or a sample of
    them, weight ``start_weight``) for a starting point, then :func:`fit_newton` on
    ``loglik(params, hessian)`` over all rows; should either fail, L-BFGS-B on all rows
    from every parameter 1 with the tight tolerances. Call inside :func:`one_blas_thread`."""
    start = fit_lbfgs(start_loglik, names, start_weight, tol=(1e-10, 1e-6))
    if start.converged:
        theta = np.log([start.params[k] for k in names])
        done = fit_newton(loglik, names, total_weight, theta)
        if done is not None:
            return done
    return fit_lbfgs(lambda params: loglik(params, False), names, total_weight)


def _result(names, theta, f: float, grad, total_weight: float, message: str) -> Fit:
    params = {k: float(v) for k, v in zip(names, np.exp(theta), strict=True)}
    ll = -f * total_weight
    grad = np.abs(np.asarray(grad))
    at_bound = bool(np.any(np.abs(theta) >= BOUND - 1e-6))
    converged = bool(np.isfinite(ll) and np.all(grad < 1e-5) and not at_bound)
    if at_bound:
        message = "a parameter reached its bound (the model does not fit these data)"
    elif not converged:
        message = f"no convergence ({message})"
    return Fit(params, ll, round(total_weight), converged, message)
