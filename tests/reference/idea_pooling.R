# Reference values: one idea's places pooled on the relative-change scale (issue 22).
# Run from the repository root:  Rscript tests/reference/idea_pooling.R
#
# Each place has a relative change (effect / |counterfactual mean|) with its delta-method SE
# and its metric's direction; the idea pools the change signed so that positive is better
# (lower-is-better metrics turned round), with the department pooling's own settings:
# rma(method = "DL", test = "knha") and predict(pi.type = "riley").
suppressPackageStartupMessages(library(metafor))
source("tests/reference/json17.R")

pooled <- function(places) {
  sign <- ifelse(places$direction == "higher", 1, -1)
  yi <- sign * places$relative
  vi <- places$relative_se^2
  fit <- rma(yi, vi, method = "DL", test = "knha")
  pred <- predict(fit, pi.type = "riley")
  list(relative = places$relative, relative_se = places$relative_se,
       direction = places$direction, estimate = as.numeric(fit$beta), se = fit$se,
       ci_low = fit$ci.lb, ci_high = fit$ci.ub, pi_low = pred$pi.lb, pi_high = pred$pi.ub,
       tau2 = fit$tau2, i2 = fit$I2, q = fit$QE, k = fit$k)
}

# Text reminders before a deadline: fines paid (higher is better), missed appointments and
# late renewals (lower is better): three places, one far larger than the others.
reminders <- data.frame(relative = c(1.9, -0.26, -0.14), relative_se = c(0.35, 0.05, 0.06),
                        direction = c("higher", "lower", "lower"))
# Five places of one idea with similar results, mixed directions.
similar <- data.frame(relative = c(0.12, -0.09, 0.15, -0.11, 0.05),
                      relative_se = c(0.04, 0.03, 0.06, 0.05, 0.07),
                      direction = c("higher", "lower", "higher", "lower", "higher"))
write_json17(list(reminders = pooled(reminders), similar = pooled(similar)),
             "tests/reference/outputs/idea_pooling.json")
