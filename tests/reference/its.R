# Reference values: interrupted time series with Newey-West (Stata newey) standard errors.
# Run from the repository root:  Rscript tests/reference/its.R
suppressPackageStartupMessages(library(sandwich))
source("tests/reference/json17.R")
raw <- read.csv("tests/reference/data/its.csv", stringsAsFactors = FALSE)
raw$week <- as.Date(cut(as.Date(raw$date), "week"))  # weeks start on Monday
raw$after <- as.numeric(raw$phase == "after")
w <- aggregate(value ~ week + after, data = raw, FUN = mean)
w <- w[order(w$week, w$after), ]
w$t <- as.numeric(w$week - w$week[1]) / 7
t0 <- min(w$t[w$after == 1])
w$t_since <- ifelse(w$after == 1, w$t - t0, 0)
n <- nrow(w); k <- 4
lag <- floor(4 * (n / 100)^(2 / 9))
fit <- lm(value ~ t + after + t_since, data = w)
V <- NeweyWest(fit, lag = lag, prewhite = FALSE, adjust = TRUE)

# Stata's newey written out by hand: Bartlett weights 1 - l/(L+1), factor n/(n-k).
X <- model.matrix(fit); u <- residuals(fit)
S <- crossprod(X * u)
for (l in seq_len(lag)) {
  G <- t(X[(l + 1):n, , drop = FALSE] * u[(l + 1):n]) %*% (X[1:(n - l), , drop = FALSE] * u[1:(n - l)])
  S <- S + (1 - l / (lag + 1)) * (G + t(G))
}
bread <- solve(crossprod(X))
V_stata <- n / (n - k) * bread %*% S %*% bread

b <- coef(fit); df <- n - k
post <- w[w$after == 1, ]
e_vec <- c(0, 0, 1, mean(post$t_since)); c_vec <- c(1, mean(post$t), 0, 0)
effect <- sum(e_vec * b); se <- sqrt(drop(t(e_vec) %*% V %*% e_vec))
cf <- sum(c_vec * b); var_cf <- drop(t(c_vec) %*% V %*% c_vec); cov_ec <- drop(t(e_vec) %*% V %*% c_vec)
crit <- qt(0.975, df)
coef_summary <- function(i) list(estimate = unname(b[i]), se = sqrt(V[i, i]),
                                 ci_low = unname(b[i]) - crit * sqrt(V[i, i]),
                                 ci_high = unname(b[i]) + crit * sqrt(V[i, i]),
                                 p_value = 2 * pt(-abs(b[i] / sqrt(V[i, i])), df))
result <- list(
  n_weeks = n, n_before = sum(w$after == 0), n_after = sum(w$after == 1), maxlags = lag,
  params = unname(b), vcov = as.vector(V),
  max_abs_diff_sandwich_vs_stata_formula = max(abs(V - V_stata)),
  effect = effect, se = se, df = df, p_value = 2 * pt(-abs(effect / se), df),
  ci_low = effect - crit * se, ci_high = effect + crit * se,
  counterfactual_mean = cf, relative_change = effect / cf,
  relative_se = sqrt(se^2 / cf^2 + effect^2 * var_cf / cf^4 - 2 * effect * cov_ec / cf^3),
  level_change = coef_summary(3), slope_change = coef_summary(4)
)
write_json17(result, "tests/reference/outputs/its.json")
