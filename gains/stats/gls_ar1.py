"""Linear regression with AR(1) errors fitted by REML, many series at once.

Model, per series: ``y = Xβ + e`` with ``Var(e) = σ²R(φ)``, ``R_ij = φ^|i-j|`` over the order
of the series' points (R ``nlme::gls(correlation = corAR1(), method = "REML")``).

The Prais-Winsten transform P (first row √(1-φ²)·e₁, then e_i - φ·e_{i-1}) whitens the errors:
P R P' = (1 - φ²)·I, |R| = (1 - φ²)^(n-1). For z = [x, y] the transformed cross-products
Σ z̃z̃' = A - φ·B + φ²·D are a quadratic in φ whose coefficients are three p+1 square moment
matrices of each series (A = Σ z_i z_i', B = Σ (z_i z_{i-1}' + z_{i-1} z_i'), D = A - z₁z₁' -
z_n z_n'), so the restricted likelihood at any φ costs one small solve, whatever n, and whole
arrays of series of any lengths are fitted together. With M(φ) = X̃'X̃ and SSR(φ) the residual
sum of squares of ỹ on X̃, the REML log-likelihood with σ² profiled out is (Harville 1977, JASA
72:320-338; Pinheiro & Bates 2000, §5.1)

    ℓ(φ) = -(n-p)/2·log SSR(φ) + ½·log(1-φ²) - ½·log|M(φ)| + const.

φ is searched on a grid over [-PHI_LIMIT, PHI_LIMIT], then refined by safeguarded Newton steps
with the analytic first and second derivatives. σ̂² = SSR/((1-φ²)(n-p)) and
Cov(β̂) = σ̂²(X'R⁻¹X)⁻¹ = SSR/(n-p)·M⁻¹.

Small-sample df of a contrast c'β (Satterthwaite 1946; Giesbrecht & Burns 1985, Biometrics
41:477-486; as R ``emmeans`` for ``gls`` with ``mode = "satterthwaite"``):
df = 2·(c'Vc)² / (g'·A·g), g the gradient of c'Vc in θ = (σ², φ) and A the inverse of the
observed REML information of θ (the negative Hessian of ℓ(σ², φ), analytic here).

When the maximum lies at ±PHI_LIMIT (the series cannot tell an AR(1) from a drifting level),
φ is held there; only σ² is then estimated and the df are n - p.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PHI_LIMIT = 0.99  # |φ| searched up to this: beyond, an AR(1) is a random walk in all but name
GRID_POINTS = 45  # spacing 0.045: the best grid point and its neighbours bracket the maximum
NEWTON_STEPS = 60  # an upper bound: quadratic convergence stops far sooner
PHI_TOLERANCE = 1e-13
# Residual sum of squares per point (of the series scaled to SD 1) below which the model fits
# the series exactly: what is left is rounding.
EXACT_FIT_SSR = 1e-20


@dataclass(frozen=True)
class GlsAr1Fit:
    """Arrays over series: coefficients (B, p), their covariance (B, p, p), φ, σ, the points
    per series, whether φ sits at the limit, and what the Satterthwaite df need."""

    params: np.ndarray
    covariance: np.ndarray
    phi: np.ndarray
    sigma: np.ndarray
    n_points: np.ndarray
    at_limit: np.ndarray
    # On the scale the series were fitted on (centred, divided by their SD): Cov(β̂), its
    # derivative in φ, σ², the inverse REML information of (σ², φ), and where φ was not
    # estimated (at the limit, or a series the model fits exactly).
    _fitted_covariance: np.ndarray
    _covariance_slope_phi: np.ndarray
    _sigma_squared: np.ndarray
    _information_inverse: np.ndarray
    _phi_fixed: np.ndarray

    def satterthwaite_df(self, contrasts: np.ndarray) -> np.ndarray:
        """df of each contrast: ``contrasts`` (B, K, p) gives (B, K). Where φ was not
        estimated, σ² is the only variance parameter and the df are n - p."""
        contrasts = np.asarray(contrasts, dtype=float)
        variance = _quadratic_forms(contrasts, self._fitted_covariance)
        gradient_phi = _quadratic_forms(contrasts, self._covariance_slope_phi)
        fixed = self._phi_fixed[:, None]
        sigma_squared = np.where(self._phi_fixed, 1.0, self._sigma_squared)[:, None]
        gradient = np.stack([variance / sigma_squared, gradient_phi], axis=-1)
        spread = np.einsum("bki,bij,bkj->bk", gradient, self._information_inverse, gradient)
        residual_df = (self.n_points - self.params.shape[1]).astype(float)[:, None]
        usable = (spread > 0) & ~fixed
        df = 2.0 * variance**2 / np.where(usable, spread, 1.0)
        return np.where(usable & np.isfinite(df), df, residual_df)


def _quadratic_forms(contrasts: np.ndarray, matrices: np.ndarray) -> np.ndarray:
    return np.einsum("bkp,bpq,bkq->bk", contrasts, matrices, contrasts)


def fit_gls_ar1(design: np.ndarray, values: np.ndarray, starts: np.ndarray) -> GlsAr1Fit:
    """REML fit of ``values ~ design`` with AR(1) errors for every series at once.

    ``design`` (N, p) and ``values`` (N,) hold the series one after another, each in time
    order; ``starts`` (B,) is where each begins. Every series needs more than p + 1 points.
    """
    design = np.asarray(design, dtype=float)
    values = np.asarray(values, dtype=float)
    starts = np.asarray(starts, dtype=np.intp)
    n_points = np.diff(np.append(starts, len(values)))
    n_params = design.shape[1]
    # Centre and scale each series' values: the fit is equivariant, and the moment sums
    # stay free of cancellation whatever the metric's magnitude.
    owner = np.repeat(np.arange(len(starts)), n_points)
    centre = np.add.reduceat(values, starts) / n_points
    deviations = values - centre[owner]
    scale = np.sqrt(np.add.reduceat(deviations**2, starts) / n_points)
    scale = np.where(scale > 0, scale, 1.0)
    scaled = deviations / scale[owner]
    moments = _moments(np.column_stack([design, scaled]), starts, n_points)
    residual_df = (n_points - n_params).astype(float)
    # A series the model fits exactly (constant, or a perfect line) has no likelihood to
    # maximise: its φ stays 0, its covariance is rounding noise (the caller zeroes it).
    phi = np.zeros(len(starts))
    ols = _Curves(moments, phi).coefficients
    exact = _transformed_ssr(design, scaled, ols, phi, starts, owner) <= EXACT_FIT_SSR * n_points
    at_limit = np.zeros(len(starts), dtype=bool)
    fitted = ~exact
    if fitted.any():
        subset = tuple(m[fitted] for m in moments)
        phi[fitted], at_limit[fitted] = _maximise(subset, residual_df[fitted])

    curves = _Curves(moments, phi)
    ssr = _transformed_ssr(design, scaled, curves.coefficients, phi, starts, owner)
    one_minus = 1.0 - phi**2
    sigma_squared = ssr / (one_minus * residual_df)
    inverse_cross = np.linalg.inv(curves.cross)
    covariance = (ssr / residual_df)[:, None, None] * inverse_cross
    slope_phi = sigma_squared[:, None, None] * (
        -2.0 * phi[:, None, None] * inverse_cross
        - one_minus[:, None, None] * inverse_cross @ curves.cross_slope @ inverse_cross
    )
    phi_fixed = at_limit | exact
    hessian = _hessian(curves, np.where(exact, 1.0, sigma_squared), residual_df, phi)
    hessian[phi_fixed] = -np.eye(2)  # not used: their df are n - p
    params = curves.coefficients * scale[:, None]
    params[:, 0] += centre  # the design's first column is the intercept
    return GlsAr1Fit(
        params=params,
        covariance=covariance * (scale**2)[:, None, None],
        phi=phi,
        sigma=np.sqrt(sigma_squared) * scale,
        n_points=n_points,
        at_limit=at_limit,
        _fitted_covariance=covariance,
        _covariance_slope_phi=slope_phi,
        _sigma_squared=sigma_squared,
        _information_inverse=np.linalg.inv(-hessian),
        _phi_fixed=phi_fixed,
    )


def _moments(augmented: np.ndarray, starts: np.ndarray, n_points: np.ndarray):
    """A, B, D of each series (see the module docstring), each (B, p+1, p+1)."""
    width = augmented.shape[1]
    outer = (augmented[:, :, None] * augmented[:, None, :]).reshape(len(augmented), -1)
    total = np.add.reduceat(outer, starts)
    lagged = np.zeros_like(outer)  # row i: z_i z_{i-1}', 0 at each series' first point
    lagged[1:] = (augmented[1:, :, None] * augmented[:-1, None, :]).reshape(len(outer) - 1, -1)
    lagged[starts] = 0.0
    cross = np.add.reduceat(lagged, starts).reshape(-1, width, width)
    total = total.reshape(-1, width, width)
    ends = starts + n_points - 1
    first = outer[starts].reshape(-1, width, width)
    last = outer[ends].reshape(-1, width, width)
    return total, cross + np.swapaxes(cross, 1, 2), total - first - last


class _Curves:
    """The transformed cross-products at φ and their φ-derivatives, per series."""

    def __init__(self, moments, phi: np.ndarray):
        total, lag, ends_dropped = moments
        f = phi[:, None, None]
        full = total - f * lag + f**2 * ends_dropped
        slope = -lag + 2.0 * f * ends_dropped
        curvature = 2.0 * ends_dropped
        p = full.shape[1] - 1
        self.cross, self.cross_slope, cross_curvature = (
            m[:, :p, :p] for m in (full, slope, curvature)
        )
        xy, xy_slope, xy_curvature = (m[:, :p, p] for m in (full, slope, curvature))
        inverse = np.linalg.inv(self.cross)
        b = np.einsum("bij,bj->bi", inverse, xy)
        self.coefficients = b
        self.ssr = full[:, p, p] - np.einsum("bi,bi->b", xy, b)
        quadratic = lambda m: np.einsum("bi,bij,bj->b", b, m, b)  # noqa: E731
        self.ssr_slope = (
            slope[:, p, p] - 2.0 * np.einsum("bi,bi->b", xy_slope, b) + quadratic(self.cross_slope)
        )
        u = xy_slope - np.einsum("bij,bj->bi", self.cross_slope, b)
        self.ssr_curvature = (
            curvature[:, p, p]
            - 2.0 * np.einsum("bi,bi->b", xy_curvature, b)
            + quadratic(cross_curvature)
            - 2.0 * np.einsum("bi,bij,bj->b", u, inverse, u)
        )
        inverse_slope = inverse @ self.cross_slope
        self.logdet = np.linalg.slogdet(self.cross)[1]
        self.logdet_slope = np.trace(inverse_slope, axis1=1, axis2=2)
        self.logdet_curvature = np.trace(inverse @ cross_curvature, axis1=1, axis2=2) - np.einsum(
            "bij,bji->b", inverse_slope, inverse_slope
        )


def _profile(curves: _Curves, residual_df, phi):
    """ℓ(φ) and its first two derivatives (σ² profiled out); NaN where rounding leaves no
    positive SSR (a series fitted almost exactly)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return _profile_terms(curves, residual_df, phi)


def _profile_terms(curves: _Curves, residual_df, phi):
    one_minus = 1.0 - phi**2
    ratio = curves.ssr_slope / curves.ssr
    value = -0.5 * residual_df * np.log(curves.ssr) + 0.5 * np.log(one_minus) - 0.5 * curves.logdet
    slope = -0.5 * residual_df * ratio - phi / one_minus - 0.5 * curves.logdet_slope
    curvature = (
        -0.5 * residual_df * (curves.ssr_curvature / curves.ssr - ratio**2)
        - (1.0 + phi**2) / one_minus**2
        - 0.5 * curves.logdet_curvature
    )
    return value, slope, curvature


def _maximise(moments, residual_df):
    """φ̂ per series: the best grid point, then safeguarded Newton within its neighbours; a
    series whose best grid point is an end with the slope pointing out stays at the limit."""
    grid = np.linspace(-PHI_LIMIT, PHI_LIMIT, GRID_POINTS)
    best = np.argmax(_profile_on_grid(moments, residual_df, grid), axis=1)
    low = grid[np.maximum(best - 1, 0)]
    high = grid[np.minimum(best + 1, GRID_POINTS - 1)]
    phi = grid[best]
    _, slope, _ = _profile(_Curves(moments, phi), residual_df, phi)
    at_limit = ((best == 0) & (slope <= 0)) | ((best == GRID_POINTS - 1) & (slope >= 0))
    searching = np.flatnonzero(~at_limit)
    for _ in range(NEWTON_STEPS):
        if not len(searching):
            break
        here = phi[searching]
        subset = tuple(m[searching] for m in moments)
        _, slope, curvature = _profile(_Curves(subset, here), residual_df[searching], here)
        low[searching] = np.where(slope > 0, here, low[searching])
        high[searching] = np.where(slope < 0, here, high[searching])
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = here - slope / curvature
        inside = (curvature < 0) & (newton > low[searching]) & (newton < high[searching])
        step = np.where(inside, newton, 0.5 * (low[searching] + high[searching])) - here
        step = np.where(slope == 0, 0.0, step)
        phi[searching] = here + step
        searching = searching[np.abs(step) >= PHI_TOLERANCE]
    return phi, at_limit


def _profile_on_grid(moments, residual_df, grid) -> np.ndarray:
    """ℓ(φ) at every grid point for every series (B, G), -inf where not finite. The augmented
    cross-product's log-determinant is log|M| + log SSR (a Schur complement), so two batched
    log-determinants give the profile."""
    total, lag, ends_dropped = (m[:, None] for m in moments)
    f = grid[None, :, None, None]
    full = total - f * lag + f**2 * ends_dropped
    sign_full, logdet_full = np.linalg.slogdet(full)
    sign, logdet_cross = np.linalg.slogdet(full[..., :-1, :-1])
    log_ssr = logdet_full - logdet_cross
    df = residual_df[:, None]
    profile = -0.5 * df * log_ssr + 0.5 * np.log(1.0 - grid**2) - 0.5 * logdet_cross
    return np.where(np.isfinite(profile) & (sign > 0) & (sign_full > 0), profile, -np.inf)


def _transformed_ssr(design, scaled, coefficients, phi, starts, owner):
    """Σ of the squared Prais-Winsten residuals, from the residuals themselves (two passes:
    no cancellation when the series fits almost exactly)."""
    residuals = scaled - np.einsum("np,np->n", design, coefficients[owner])
    whitened = residuals.copy()
    whitened[1:] -= phi[owner[1:]] * residuals[:-1]
    whitened[starts] = np.sqrt(1.0 - phi**2) * residuals[starts]
    return np.add.reduceat(whitened**2, starts)


def _hessian(curves: _Curves, sigma_squared, residual_df, phi):
    """Hessian of the REML log-likelihood in (σ², φ) at σ̂², φ̂ (2 x 2 per series):
    ℓ = -(n-p)/2·log σ² - (n-1-p)/2·log(1-φ²) - ½·log|M| - Q/(2σ²), Q = SSR/(1-φ²)."""
    w = 1.0 / (1.0 - phi**2)
    w_slope = 2.0 * phi * w**2
    w_curvature = 2.0 * w**2 + 8.0 * phi**2 * w**3
    q_slope = curves.ssr_slope * w + curves.ssr * w_slope
    q_curvature = (
        curves.ssr_curvature * w + 2.0 * curves.ssr_slope * w_slope + curves.ssr * w_curvature
    )
    q = curves.ssr * w
    n_minus_one_minus_p = residual_df - 1.0
    s = sigma_squared
    sigma_sigma = 0.5 * residual_df / s**2 - q / s**3
    sigma_phi = 0.5 * q_slope / s**2
    phi_phi = (
        n_minus_one_minus_p * (1.0 + phi**2) * w**2
        - 0.5 * curves.logdet_curvature
        - 0.5 * q_curvature / s
    )
    return np.stack(
        [np.stack([sigma_sigma, sigma_phi], -1), np.stack([sigma_phi, phi_phi], -1)], -2
    )
