# Reference values: random-effects pooling (metafor), power.t.test, p.adjust(method = "BH").
# Run from the repository root:  Rscript tests/reference/pooling_power_bh.R
suppressPackageStartupMessages(library(metafor))
source("tests/reference/json17.R")
bcg <- read.csv("tests/reference/data/bcg.csv", stringsAsFactors = FALSE)

pooled <- function(yi, vi, method) {
  # metafor's default uniroot tolerance (~1e-4) leaves PM's tau2 short of the root; tighten it.
  fit <- rma(yi, vi, method = method, test = "z", control = list(tol = 1e-15))
  pred <- predict(fit)
  k <- fit$k
  # Prediction interval with t on k - 2 df (Higgins, Thompson & Spiegelhalter 2009).
  half <- qt(0.975, k - 2) * sqrt(fit$tau2 + fit$se^2)
  list(estimate = as.numeric(fit$beta), se = fit$se, ci_low = fit$ci.lb, ci_high = fit$ci.ub,
       pi_low = as.numeric(fit$beta) - half, pi_high = as.numeric(fit$beta) + half,
       pi_low_normal = pred$pi.lb, pi_high_normal = pred$pi.ub,
       tau2 = fit$tau2, i2 = fit$I2, q = fit$QE, q_p_value = fit$QEp, k = k)
}

homogeneous <- data.frame(yi = c(0.10, 0.12, 0.11, 0.09), vi = c(0.04, 0.05, 0.03, 0.06))
power_cases <- list(
  list(n = 20, delta = 0.5, sig.level = 0.05),
  list(n = 64, delta = 0.5, sig.level = 0.05),
  list(n = 8, delta = 1.2, sig.level = 0.01),
  list(n = 150, delta = 0.2, sig.level = 0.10)
)
power_out <- lapply(power_cases, function(cs) {
  list(n = cs$n, effect_size = cs$delta, alpha = cs$sig.level,
       power = power.t.test(n = cs$n, delta = cs$delta, sd = 1, sig.level = cs$sig.level,
                            strict = TRUE)$power)
})
# power.t.test's default uniroot tolerance (eps^0.25, ~1e-4) is too loose for a reference.
n_out <- lapply(list(c(0.5, 0.8, 0.05), c(0.3, 0.9, 0.05), c(1.0, 0.8, 0.01)), function(x) {
  list(effect_size = x[1], power = x[2], alpha = x[3],
       n = power.t.test(delta = x[1], sd = 1, power = x[2], sig.level = x[3], strict = TRUE,
                        tol = 1e-13)$n)
})
mde_out <- lapply(list(c(30, 0.8, 0.05), c(100, 0.9, 0.05)), function(x) {
  list(n = x[1], power = x[2], alpha = x[3],
       effect_size = power.t.test(n = x[1], sd = 1, power = x[2], sig.level = x[3],
                                  strict = TRUE, tol = 1e-13)$delta)
})
p_raw <- c(0.01, 0.04, 0.03, 0.005, 0.5, 0.04, NA, 0.2, 0.001, 0.049)
result <- list(
  bcg_dl = pooled(bcg$effect, bcg$variance, "DL"),
  bcg_pm = pooled(bcg$effect, bcg$variance, "PM"),
  bcg_first3_dl = pooled(bcg$effect[1:3], bcg$variance[1:3], "DL"),
  homogeneous_dl = pooled(homogeneous$yi, homogeneous$vi, "DL"),
  homogeneous_pm = pooled(homogeneous$yi, homogeneous$vi, "PM"),
  power = power_out, n_per_group = n_out, minimum_detectable_effect = mde_out,
  bh = list(p = p_raw, adjusted = p.adjust(p_raw, method = "BH"))
)
write_json17(result, "tests/reference/outputs/pooling_power_bh.json")
