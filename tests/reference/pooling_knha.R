# Reference values: random-effects pooling with the Hartung-Knapp-Sidik-Jonkman CI (metafor).
# Run from the repository root:  Rscript tests/reference/pooling_knha.R
#
# rma(test = "knha") scales the pooled variance by q = Σwᵢ(yᵢ - μ̂)²/(k - 1), untruncated
# (metafor's "adhoc" test is the max(1, q) variant of Röver et al. 2015), and uses t(k - 1).
# The prediction interval is predict(pi.type = "riley"): t(k - 2) and the CI's own variance,
# i.e. Higgins, Thompson & Spiegelhalter (2009) with the HKSJ SE.
suppressPackageStartupMessages(library(metafor))
source("tests/reference/json17.R")
bcg <- read.csv("tests/reference/data/bcg.csv", stringsAsFactors = FALSE)

pooled <- function(yi, vi, method, test) {
  # metafor's default uniroot tolerance (~1e-4) leaves PM's tau2 short of the root; tighten it.
  fit <- rma(yi, vi, method = method, test = test, control = list(tol = 1e-15))
  pred <- predict(fit, pi.type = "riley")
  list(estimate = as.numeric(fit$beta), se = fit$se, ci_low = fit$ci.lb, ci_high = fit$ci.ub,
       pi_low = pred$pi.lb, pi_high = pred$pi.ub, df = fit$ddf, s2w = fit$s2w,
       statistic = fit$zval, p_value = fit$pval,
       tau2 = fit$tau2, i2 = fit$I2, q = fit$QE, q_p_value = fit$QEp, k = fit$k)
}

# Nearly homogeneous effects: q < 1, where knha is narrower than the z interval and "adhoc"
# would truncate it.
homogeneous <- data.frame(yi = c(0.10, 0.12, 0.11, 0.09), vi = c(0.04, 0.05, 0.03, 0.06))
# Standardised effects of the kind a department pools (Hedges' g with their variances).
department <- data.frame(yi = c(0.42, 0.15, 0.61, -0.05, 0.33),
                         vi = c(0.021, 0.085, 0.047, 0.12, 0.033))
cases <- list(bcg = bcg[, c("effect", "variance")], bcg_first3 = bcg[1:3, c("effect", "variance")],
              homogeneous = setNames(homogeneous, c("effect", "variance")),
              department = setNames(department, c("effect", "variance")))
result <- list()
for (name in names(cases)) {
  for (method in c("DL", "PM")) {
    for (test in c("knha", "adhoc", "z")) {
      key <- paste(name, tolower(method), test, sep = "_")
      result[[key]] <- c(pooled(cases[[name]]$effect, cases[[name]]$variance, method, test),
                         list(effects = cases[[name]]$effect, variances = cases[[name]]$variance))
    }
  }
}
write_json17(result, "tests/reference/outputs/pooling_knha.json")
