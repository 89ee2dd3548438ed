"""OLS with the CR2 cluster-robust covariance and Satterthwaite degrees of freedom.

As R ``clubSandwich::coef_test(lm(...), vcov = "CR2", cluster = ..., test =
"Satterthwaite")`` computes them for an unweighted linear model (Bell & McCaffrey 2002, Surv.
Methodol. 28:169-181; Pustejovsky & Tipton 2018, J. Bus. Econ. Stat. 36:672-683). With X the
design, M = (X'X)⁻¹, e the residuals and, for cluster j, H_jj = X_j M X_j':

    A_j = (I − H_jj)^(−1/2)          (symmetric; eigenvalues ≤ 1e-12 give 0, as clubSandwich)
    V   = M [Σ_j X_j' A_j e_j e_j' A_j X_j] M

CR2 removes the bias of the cluster-robust covariance under independent, equal-variance
errors, and the Satterthwaite df (2E²/Var of the variance estimate under that working model)
replace the G − 1 rule, which is far too liberal with few or unbalanced clusters. With one row
per cluster CR2 is HC2.

Every cluster's H_jj has rank at most p (the number of coefficients), so A_j is applied through
p × p problems, all clusters at once, rather than an n_j × n_j eigendecomposition each: a unit
with a thousand rows costs what one with four does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# clubSandwich's `matrix_power`: eigenvalues of I − H_jj at or below this count as zero.
EIGENVALUE_TOLERANCE = 1e-12


@dataclass(frozen=True)
class ClusterRobustFit:
    """An OLS fit of one or more outcomes on the same design, with their joint CR2 covariance.

    ``coefficients`` is p × k (a column per outcome); ``covariance`` is the kp × kp covariance
    of the coefficients stacked outcome by outcome (``coefficients.T.ravel()``), so that
    contrasts across outcomes (a counterfactual made of two outcomes' coefficients) come from
    the same sandwich. ``n_clusters`` is the number of clusters.
    """

    coefficients: np.ndarray
    covariance: np.ndarray
    n_clusters: int
    bread: np.ndarray  # M = (X'X)⁻¹
    adjusted: np.ndarray  # per cluster, X_j' A_j X_j (J × p × p)
    adjusted_squared: np.ndarray  # per cluster, X_j' A_j² X_j (J × p × p)

    def estimate(self, contrast: np.ndarray) -> float:
        """A contrast of the stacked coefficients."""
        return float(np.asarray(contrast, dtype=float) @ self.coefficients.T.ravel())

    def variance(self, first: np.ndarray, second: np.ndarray | None = None) -> float:
        """Variance of a contrast of the stacked coefficients (or covariance of two)."""
        first = np.asarray(first, dtype=float)
        second = first if second is None else np.asarray(second, dtype=float)
        return float(first @ self.covariance @ second)

    def satterthwaite_df(self, contrast: np.ndarray) -> float:
        """clubSandwich's Satterthwaite df for a contrast c of one outcome's coefficients.

        With u = M c, g_j = u' X_j' A_j² X_j u, v_j = X_j' A_j X_j u and the J × J matrix
        P = diag(g) − [v_j' M v_k], df = (tr P)² / Σ P²_jk (clubSandwich's ``Satterthwaite``
        with its ``get_P_array``); Σ_jk (v_j' M v_k)² = tr((S M)²) with S = Σ_j v_j v_j', so
        P is never formed. The df depend on the design only, not on the outcome.
        """
        u = self.bread @ np.asarray(contrast, dtype=float)
        g = np.einsum("i,jik,k->j", u, self.adjusted_squared, u)
        v = self.adjusted @ u
        own = np.einsum("ji,ik,jk->j", v, self.bread, v)
        sm = (v.T @ v) @ self.bread
        trace = float(g.sum() - own.sum())
        squares = float(g @ g - 2.0 * g @ own + np.trace(sm @ sm))
        return trace**2 / squares if squares > 0 else float("nan")


def fit_cr2(design: np.ndarray, outcomes: np.ndarray, clusters: np.ndarray) -> ClusterRobustFit:
    """OLS of each column of ``outcomes`` (N, or N × k) on ``design`` (N × p, first column the
    intercept), CR2 by ``clusters`` (N labels of one type, e.g. integer codes). Raises
    ``np.linalg.LinAlgError`` when the design is rank deficient (the caller decides which
    column to leave out)."""
    x = np.asarray(design, dtype=float)
    y = np.asarray(outcomes, dtype=float)
    y = y[:, None] if y.ndim == 1 else y
    if np.linalg.matrix_rank(x) < x.shape[1]:
        raise np.linalg.LinAlgError("the design matrix is rank deficient")
    bread = np.linalg.inv(x.T @ x)
    # Each outcome centred first: the residuals then keep their digits when the values are
    # large next to their spread (1e9 ± 1e-3); only the intercept moves, by the mean.
    centre = y.mean(axis=0)
    centred = bread @ (x.T @ (y - centre))
    residuals = (y - centre) - x @ centred
    coefficients = centred.copy()
    coefficients[0] += centre
    _, codes = np.unique(np.asarray(clusters), return_inverse=True)
    scores, adjusted, adjusted_squared = _adjusted_pieces(x, residuals, codes, bread)
    k = y.shape[1]
    # Scores per cluster, outcome by outcome: J × kp, then the stacked sandwich.
    stacked_scores = scores.transpose(0, 2, 1).reshape(len(scores), -1)
    stacked_bread = np.kron(np.eye(k), bread)
    covariance = stacked_bread @ (stacked_scores.T @ stacked_scores) @ stacked_bread
    return ClusterRobustFit(
        coefficients=coefficients,
        covariance=covariance,
        n_clusters=len(scores),
        bread=bread,
        adjusted=adjusted,
        adjusted_squared=adjusted_squared,
    )


def _adjusted_pieces(x, residuals, codes, bread):
    """Per cluster: X_j' A_j e_j (J × p × k), X_j' A_j X_j and X_j' A_j² X_j (J × p × p).

    Only p × p problems are solved: with M = L L' (Cholesky) and the cluster's Gram matrix
    G_j = X_j' X_j, S_j = L' G_j L has the nonzero eigenvalues λ of H_jj, and for any
    function h of a symmetric matrix X_j' h(X_j M X_j') = L'⁻¹ h(S_j) L' X_j' (push-through).
    So with S_j = V Λ V' and f = (1 − λ)^(−1/2) (0 where 1 − λ ≤ 1e-12, as clubSandwich):
    X_j' A_j e_j = L'⁻¹ V f V' L' X_j' e_j, X_j' A_j X_j = L'⁻¹ V fΛ V' L⁻¹ and
    X_j' A_j² X_j = L'⁻¹ V f²Λ V' L⁻¹. The sums X_j' X_j and X_j' e_j over each cluster's
    rows are the only work on the rows.
    """
    n_rows, p = x.shape
    k = residuals.shape[1]
    n_clusters = int(codes.max()) + 1
    gram = _sum_by_cluster((x[:, :, None] * x[:, None, :]).reshape(n_rows, -1), codes, n_clusters)
    cross = _sum_by_cluster(
        (x[:, :, None] * residuals[:, None, :]).reshape(n_rows, -1), codes, n_clusters
    )
    lower = np.linalg.cholesky(bread)
    back = np.linalg.inv(lower)  # L⁻¹; its transpose is L'⁻¹
    eigenvalues, v = np.linalg.eigh(lower.T @ gram.reshape(-1, p, p) @ lower)
    remaining = 1.0 - eigenvalues
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where(remaining > EIGENVALUE_TOLERANCE, remaining**-0.5, 0.0)

    def spectral(weights):  # L'⁻¹ V diag(weights) V'
        return back.T @ (v * weights[:, None, :]) @ v.transpose(0, 2, 1)

    scores = spectral(f) @ (lower.T @ cross.reshape(-1, p, k))
    adjusted = spectral(f * eigenvalues) @ back
    adjusted_squared = spectral(f**2 * eigenvalues) @ back
    return scores, adjusted, adjusted_squared


def _sum_by_cluster(values: np.ndarray, codes: np.ndarray, n_clusters: int) -> np.ndarray:
    """Column sums of ``values`` (N × m) within each cluster (n_clusters × m)."""
    return np.column_stack(
        [np.bincount(codes, weights=column, minlength=n_clusters) for column in values.T]
    )
