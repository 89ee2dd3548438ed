# Reference values: empirical-Bayes shrinkage, the random-effects model's BLUPs (metafor).
# Run from the repository root:  Rscript tests/reference/shrinkage_blup.R
#
# blup(rma(yi, vi, method = "DL"|"PM")) with rma's default test = "z": the prediction is
# lambda * yi + (1 - lambda) * mu with lambda = tau2 / (tau2 + vi), and its SE
# sqrt(lambda * vi + (1 - lambda)^2 * vb), vb = 1 / sum(1 / (vi + tau2)).
suppressPackageStartupMessages(library(metafor))
source("tests/reference/json17.R")
bcg <- read.csv("tests/reference/data/bcg.csv", stringsAsFactors = FALSE)

set.seed(20261203)
n20 <- sample(20:200, 20, replace = TRUE)  # per group, as a department's improvements
theta20 <- rnorm(20, 0.2, sqrt(0.05))
v20 <- 2 / n20 + theta20^2 / (4 * n20)
cases <- list(
  one = list(yi = 0.3, vi = 0.04),  # k = 1: rma sets tau2 = 0, nothing is shrunk
  two = list(yi = c(0.3, -0.5), vi = c(0.04, 0.02)),
  bcg_4to6 = list(yi = bcg$effect[4:6], vi = bcg$variance[4:6]),
  # Nearly equal effects: tau2 = 0, so every item is shrunk fully to the pooled mean.
  homogeneous = list(yi = c(0.10, 0.12, 0.11, 0.09), vi = c(0.04, 0.05, 0.03, 0.06)),
  department8 = list(yi = c(0.62, 0.05, 0.81, -0.25, 0.33, 0.47, -0.08, 0.51),
                     vi = c(0.021, 0.085, 0.047, 0.12, 0.033, 0.015, 0.06, 0.028)),
  seeded20 = list(yi = rnorm(20, theta20, sqrt(v20)), vi = v20)
)
result <- list()
for (name in names(cases)) {
  for (method in c("DL", "PM")) {
    data <- cases[[name]]
    # metafor's default uniroot tolerance (~1e-4) leaves PM's tau2 short of the root; tighten it.
    fit <- rma(data$yi, data$vi, method = method, control = list(tol = 1e-15))
    blups <- blup(fit)
    result[[paste(name, tolower(method), sep = "_")]] <- list(
      method = tolower(method), k = fit$k, yi = data$yi, vi = data$vi,
      tau2 = fit$tau2, pooled_mean = as.numeric(fit$beta), pooled_mean_se = fit$se,
      shrunk = blups$pred, shrunk_se = blups$se)
  }
}
write_json17(result, "tests/reference/outputs/shrinkage_blup.json")
