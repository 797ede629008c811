"""Detect separation in binary-outcome data by linear programming.

With s_i = +1 for y_i = 1 and -1 for y_i = 0, and xbar_i = s_i x_i, the logistic
log likelihood has a direction of recession d != 0 exactly when xbar_i'd >= 0 for
every row (Albert & Anderson 1984; Konis 2007). Then the maximum likelihood
estimate does not exist:

* complete separation: some d has xbar_i'd > 0 for every row;
* quasi-complete separation: only with xbar_i'd = 0 on some rows.

Like Konis (2007, ch. 4; R packages safeBinaryRegression and detectseparation),
everything is decided by linear programs (scipy's HiGHS), never by watching a fit
diverge:

1. Separated rows. Konis' primal program: maximise sum_i xbar_i'd subject to
   xbar_i'd >= 0 and -1 <= d <= 1. Optimum 0: no separation. Otherwise the rows
   with a positive margin are separated; the program is solved again with the
   objective summed over the rows not yet separated, and so on until it finds
   no new row. The sum of the directions found is one direction d* that
   separates the largest separable set S (the last program proves that no
   direction separates any further row). S = every row: complete separation;
   otherwise quasi-complete. Along every path on which the likelihood
   approaches its supremum the rows in S are fitted with probability 0 or 1.
2. Infinite estimates. Coefficient j diverges on *every* such path unless some
   direction with xbar_S d >= 1, x_{not S}'d = 0 has d_j = 0: one feasibility
   program per coefficient. Those that must diverge are ``separating_terms``,
   with the sign they diverge to.
3. Terms that diverge on some paths but need not (e.g. a second covariate when
   one dummy alone separates the outcome completely) have max |d_j| > 0 over the
   cone of recession directions intersected with the box -1 <= d <= 1 (two
   programs each, the form detectseparation uses); these are reported as
   ``indeterminate_terms``: their ML estimate is not determined by the data.

Columns are first scaled to a maximum absolute value of 1, which leaves the cone
of recession directions unchanged up to a positive rescaling of each coordinate.
The design matrix must have full column rank (an exactly collinear column would
give a spurious direction with X d = 0); ``as_design`` checks this.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import optimize

from ._design import as_design

__all__ = ["SeparationResult", "detect_separation"]


@dataclass(frozen=True)
class SeparationResult:
    """Outcome of :func:`detect_separation`.

    ``status``: ``"none"``, ``"quasi-complete"`` or ``"complete"``.
    ``separating_terms``: coefficients whose ML estimate is infinite (diverges
    on every path to the likelihood's supremum), in design order;
    ``direction[name]`` is ``"+inf"`` or ``"-inf"`` for each.
    ``indeterminate_terms``: coefficients that diverge on some such paths but not
    on others, so the data do not determine their ML estimate (finite or not).
    ``separated_rows``: positions (0-based) of the rows fitted with probability
    0 or 1 in the limit. ``recession_direction``: a direction of recession on the
    original column scale, max |d_j| = 1 (zeros when there is no separation).
    """

    status: str
    separating_terms: list[str]
    direction: dict[str, str]
    indeterminate_terms: list[str]
    names: tuple[str, ...]
    n: int
    events: int
    separated_rows: np.ndarray = field(repr=False)
    recession_direction: np.ndarray = field(repr=False)
    method: str = "linear programs after Konis (2007), scipy HiGHS; columns scaled to max |x| = 1"

    @property
    def separated(self) -> bool:
        return self.status != "none"

    def summary(self) -> str:
        """One line for logs and reports."""
        if not self.separated:
            return f"no separation (n={self.n}, events={self.events}): ML estimates exist"
        terms = ", ".join(f"{t} ({self.direction[t]})" for t in self.separating_terms)
        text = (
            f"{self.status} separation (n={self.n}, events={self.events}, "
            f"{len(self.separated_rows)} rows fitted with probability 0 or 1): "
            f"infinite ML estimates for {terms or 'no single coefficient'}"
        )
        if self.indeterminate_terms:
            text += f"; undetermined: {', '.join(self.indeterminate_terms)}"
        return text


def _linprog(c, **kw) -> optimize.OptimizeResult:
    res = optimize.linprog(c, method="highs", **kw)
    if res.status not in (0, 2):  # 2: infeasible, an answer in step 2
        raise RuntimeError(f"separation linear program failed: {res.message}")
    return res


def _row_basis(A: np.ndarray) -> np.ndarray:
    """Orthonormal basis of the row space of A (rank-revealing SVD)."""
    if A.shape[0] == 0:
        return A
    _, sv, vt = np.linalg.svd(A, full_matrices=False)
    keep = sv > max(A.shape) * np.finfo(float).eps * sv[0]
    return vt[keep]


def detect_separation(X, y, *, names=None, tol: float = 1e-7) -> SeparationResult:
    """Check (X, y) for complete or quasi-complete separation.

    Parameters
    ----------
    X : 2-D array or DataFrame (n, k), full column rank; include the intercept
        column if the model has one.
    y : 0/1 or boolean outcome of length n.
    names : optional term names (default: DataFrame columns or x0, x1, ...).
    tol : a margin xbar_i'd (step 1) or coordinate d_j (step 3) above ``tol``,
        on the scaled columns and within the unit box, counts as positive.
    """
    d = as_design(X, y, names)
    n, k = d.X.shape
    scale = np.max(np.abs(d.X), axis=0)  # > 0: full rank excludes zero columns
    Xbar = (2.0 * d.y - 1.0)[:, None] * (d.X / scale)
    events = int(d.y.sum())

    # 1. Largest set of separated rows (Konis' program, repeated).
    box = [(-1.0, 1.0)] * k
    zeros = np.zeros(n)
    in_s = np.zeros(n, dtype=bool)
    d_star = np.zeros(k)
    while not in_s.all():
        res = _linprog(-Xbar[~in_s].sum(axis=0), A_ub=-Xbar, b_ub=zeros, bounds=box)
        if res.status != 0:
            raise RuntimeError(f"separation linear program failed: {res.message}")
        new = (Xbar @ res.x > tol) & ~in_s
        if not new.any():
            break
        in_s |= new
        d_star += res.x
    if not in_s.any():
        return SeparationResult(
            status="none",
            separating_terms=[],
            direction={},
            indeterminate_terms=[],
            names=d.names,
            n=n,
            events=events,
            separated_rows=np.array([], dtype=np.int64),
            recession_direction=np.zeros(k),
        )
    status = "complete" if in_s.all() else "quasi-complete"

    # 2. Coefficients that diverge on every path: d_j = 0 infeasible.
    # Rows outside S can only have margin 0: X_rest d = 0, which a basis of
    # their row space (at most k rows) expresses just as well and far faster.
    A_s, A_rest = Xbar[in_s], _row_basis(Xbar[~in_s])

    def feasible(fix: int | None) -> bool:
        A_eq = A_rest
        if fix is not None:
            A_eq = np.vstack([np.eye(k)[fix], A_rest])
        res = _linprog(
            np.zeros(k),
            A_ub=-A_s,
            b_ub=-np.ones(A_s.shape[0]),
            A_eq=A_eq if A_eq.shape[0] else None,
            b_eq=np.zeros(A_eq.shape[0]) if A_eq.shape[0] else None,
            bounds=[(None, None)] * k,
        )
        return res.status == 0

    if not feasible(None):  # d* itself should satisfy this up to rounding
        raise RuntimeError("separation linear programs disagree; check the scaling of X")
    separating, direction = [], {}
    for j in range(k):
        if not feasible(j):
            separating.append(d.names[j])
            direction[d.names[j]] = "+inf" if d_star[j] > 0 else "-inf"

    # 3. Coefficients that may diverge: max |d_j| > 0 over cone and unit box.
    indeterminate = []
    for j in range(k):
        if d.names[j] in direction:
            continue
        e = np.zeros(k)
        e[j] = 1.0
        # the cone {xbar'd >= 0} is {xbar_S'd >= 0, X_rest d = 0} by step 1
        cone = dict(
            A_ub=-A_s,
            b_ub=np.zeros(A_s.shape[0]),
            A_eq=A_rest if A_rest.shape[0] else None,
            b_eq=np.zeros(A_rest.shape[0]) if A_rest.shape[0] else None,
            bounds=box,
        )
        up = _linprog(-e, **cone)
        down = _linprog(e, **cone)
        if up.status != 0 or down.status != 0:
            raise RuntimeError("separation linear program failed on the unit box")
        if up.x[j] > tol or down.x[j] < -tol:
            indeterminate.append(d.names[j])

    rec = d_star / scale
    rec = rec / np.max(np.abs(rec))
    return SeparationResult(
        status=status,
        separating_terms=separating,
        direction=direction,
        indeterminate_terms=indeterminate,
        names=d.names,
        n=n,
        events=events,
        separated_rows=np.flatnonzero(in_s),
        recession_direction=rec,
    )
