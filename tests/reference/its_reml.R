# Reference values: interrupted time series, segmented regression with AR(1) errors by REML
# (nlme::gls, corAR1 over the order of the observed weekly points) and the Satterthwaite df
# of the headline contrast. Run from the repository root:  Rscript tests/reference/its_reml.R
#
# Three series: data/its.csv (36 weeks, go-live in mid-week 21: that week is two points),
# data/its_ar1.csv (written here, seeded: AR(1) errors with phi = 0.6, 14 weeks before and
# 12 after, one week without data before go-live) and data/its_seasonal.csv (written here,
# seeded: 70 weeks before go-live and 50 after, a yearly cycle, AR(1) phi = 0.4), fitted with
# one sin/cos pair of period 52 weeks (Gains' seasonal = TRUE).
#
# The df are computed twice: by emmeans (mode = "satterthwaite", which uses nlme's numerical
# apVar), and by hand from the dense-matrix REML log-likelihood in (sigma^2, phi), with
# Richardson-extrapolated central differences for its Hessian and for the gradient of the
# contrast's variance (no numDeriv). The tests compare Gains with the hand values.
suppressPackageStartupMessages({library(nlme); library(emmeans)})
source("tests/reference/json17.R")

if (!file.exists("tests/reference/data/its_ar1.csv")) {
  set.seed(20261203)
  weeks <- c(0:5, 7:13, 14:25)                    # week 6 has no data
  e <- as.numeric(arima.sim(list(ar = 0.6), n = 26, sd = 2))
  mu <- 50 + 0.3 * (0:25) + ifelse(0:25 >= 14, -4 - 0.2 * pmax(0:25 - 14, 0), 0)
  days <- as.Date("2025-03-03") + 7 * weeks        # Mondays
  raw <- do.call(rbind, lapply(seq_along(weeks), function(i) {
    w <- weeks[i] + 1
    data.frame(date = format(days[i] + 0:2), phase = ifelse(weeks[i] >= 14, "after", "before"),
               value = round(mu[w] + e[w] + rnorm(3, 0, 0.5), 3))
  }))
  write.csv(raw, "tests/reference/data/its_ar1.csv", row.names = FALSE)
}

if (!file.exists("tests/reference/data/its_seasonal.csv")) {
  set.seed(20261204)
  weeks <- 0:119
  e <- as.numeric(arima.sim(list(ar = 0.4), n = 120, sd = 1.5))
  mu <- 30 + 0.05 * weeks + 4 * sin(2 * pi * weeks / 52) - 2 * cos(2 * pi * weeks / 52) +
    ifelse(weeks >= 70, 2.5, 0)
  write.csv(data.frame(date = format(as.Date("2024-01-01") + 7 * weeks),
                       phase = ifelse(weeks >= 70, "after", "before"),
                       value = round(mu + e, 3)),
            "tests/reference/data/its_seasonal.csv", row.names = FALSE)
}

weekly <- function(path) {
  raw <- read.csv(path, stringsAsFactors = FALSE)
  raw$week <- as.Date(cut(as.Date(raw$date), "week"))  # weeks start on Monday
  raw$after <- as.numeric(raw$phase == "after")
  w <- aggregate(value ~ week + after, data = raw, FUN = mean)
  w <- w[order(w$week, w$after), ]
  w$t <- as.numeric(w$week - w$week[1]) / 7
  t0 <- min(w$t[w$after == 1])
  w$t_since <- ifelse(w$after == 1, w$t - t0, 0)
  w$season_sin <- sin(2 * pi * w$t / 52); w$season_cos <- cos(2 * pi * w$t / 52)
  w
}

# Central differences refined by Richardson extrapolation (error O(h^6)).
richardson <- function(f, h) {
  d <- function(h) (f(h) - f(-h)) / (2 * h)
  d1 <- d(h); d2 <- d(h / 2); d3 <- d(h / 4)
  r1 <- (4 * d2 - d1) / 3; r2 <- (4 * d3 - d2) / 3
  (16 * r2 - r1) / 15
}

reference_case <- function(path, seasonal = FALSE) {
  w <- weekly(path)
  model <- if (seasonal) value ~ t + after + t_since + season_sin + season_cos else
    value ~ t + after + t_since
  # The formula written into the call (bquote): emmeans evaluates the call's model again.
  fit <- eval(bquote(gls(.(model), data = w, correlation = corAR1(), method = "REML",
                         control = glsControl(tolerance = 1e-14, msTol = 1e-14, msMaxIter = 500,
                                              maxIter = 500, returnObject = TRUE))))
  X <- model.matrix(model, w); y <- w$value; n <- nrow(X); p <- ncol(X)
  post <- w[w$after == 1, ]
  e_vec <- c(0, 0, 1, mean(post$t_since)); c_vec <- c(1, mean(post$t), 0, 0)
  if (seasonal) {
    e_vec <- c(e_vec, 0, 0); c_vec <- c(c_vec, mean(post$season_sin), mean(post$season_cos))
  }

  # REML log-likelihood from dense matrices, and the variance of a contrast, in (s2, phi).
  parts <- function(phi) {
    R <- phi^abs(outer(1:n, 1:n, "-")); Ri <- solve(R)
    M <- t(X) %*% Ri %*% X; b <- solve(M, t(X) %*% Ri %*% y); r <- y - X %*% b
    list(logdetR = determinant(R)$modulus, logdetM = determinant(M)$modulus,
         Q = drop(t(r) %*% Ri %*% r), Minv = solve(M), b = b)
  }
  reml <- function(s2, phi) {
    q <- parts(phi)
    -(n - p) / 2 * log(s2) - q$logdetR / 2 - q$logdetM / 2 - q$Q / (2 * s2)
  }
  profile <- function(phi) { q <- parts(phi); reml(q$Q / (n - p), phi) }
  phi <- optimize(profile, c(-0.99, 0.99), maximum = TRUE, tol = 1e-12)$maximum
  best <- parts(phi); s2 <- best$Q / (n - p)
  hs <- 1e-3 * s2; hp <- 1e-3
  d_s <- function(f) richardson(function(h) f(s2 + h, phi), hs)
  d_p <- function(f) richardson(function(h) f(s2, phi + h), hp)
  H <- matrix(0, 2, 2)
  H[1, 1] <- richardson(function(h) richardson(function(k) reml(s2 + h + k, phi), hs), hs)
  H[2, 2] <- richardson(function(h) richardson(function(k) reml(s2, phi + h + k), hp), hp)
  H[1, 2] <- H[2, 1] <- richardson(function(h) richardson(function(k) reml(s2 + k, phi + h), hs), hp)
  A <- solve(-H)
  satterthwaite <- function(k) {
    v <- function(s2, phi) s2 * drop(t(k) %*% parts(phi)$Minv %*% k)
    g <- c(d_s(v), d_p(v))
    2 * v(s2, phi)^2 / drop(t(g) %*% A %*% g)
  }
  rg <- ref_grid(fit, mode = "satterthwaite", data = w)
  emmeans_df <- function(k) rg@dffun(k, rg@dfargs)

  b <- coef(fit); V <- vcov(fit)
  effect <- sum(e_vec * b); se <- sqrt(drop(t(e_vec) %*% V %*% e_vec))
  df <- satterthwaite(e_vec); crit <- qt(0.975, df)
  cf <- sum(c_vec * b); var_cf <- drop(t(c_vec) %*% V %*% c_vec)
  cov_ec <- drop(t(e_vec) %*% V %*% c_vec)
  coef_summary <- function(i) {
    k <- replace(numeric(p), i, 1); dfi <- satterthwaite(k); ci <- qt(0.975, dfi)
    list(estimate = unname(b[i]), se = sqrt(V[i, i]), df = dfi,
         ci_low = unname(b[i]) - ci * sqrt(V[i, i]), ci_high = unname(b[i]) + ci * sqrt(V[i, i]),
         p_value = 2 * pt(-abs(b[i] / sqrt(V[i, i])), dfi))
  }
  list(
    n_weeks = n, n_before = sum(w$after == 0), n_after = sum(w$after == 1),
    params = unname(b), vcov = as.vector(V),
    phi = unname(coef(fit$modelStruct$corStruct, unconstrained = FALSE)), sigma = fit$sigma,
    phi_by_hand = phi, sigma_by_hand = sqrt(s2), params_by_hand = as.vector(best$b),
    reml_loglik = fit$logLik,
    effect = effect, se = se, df = df, df_emmeans = emmeans_df(e_vec),
    p_value = 2 * pt(-abs(effect / se), df), ci_low = effect - crit * se, ci_high = effect + crit * se,
    counterfactual_mean = cf, relative_change = effect / abs(cf),
    relative_se = sqrt(se^2 / cf^2 + effect^2 * var_cf / cf^4 - 2 * effect * cov_ec / cf^3),
    level_change = coef_summary(3), slope_change = coef_summary(4)
  )
}

write_json17(list(its = reference_case("tests/reference/data/its.csv"),
                  its_ar1 = reference_case("tests/reference/data/its_ar1.csv"),
                  its_seasonal = reference_case("tests/reference/data/its_seasonal.csv",
                                                seasonal = TRUE)),
             "tests/reference/outputs/its_reml.json")
