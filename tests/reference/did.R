# Reference values: difference-in-differences, lm(value ~ after * treated) with sandwich covariances.
# Repeated units (CR2, Satterthwaite df): did_cr2.R.
# Run from the repository root:  Rscript tests/reference/did.R
suppressPackageStartupMessages(library(sandwich))
source("tests/reference/json17.R")
read <- function(name) read.csv(file.path("tests/reference/data", name), stringsAsFactors = FALSE)

prepare <- function(frame) {
  frame$after <- as.numeric(frame$phase == "after")
  frame$treated <- as.numeric(frame$group == "treatment")
  frame
}

# Hedges' g for DiD standardised by the pre-period SD pooled over both groups (see STATISTICS.md).
did_g <- function(frame, effect, var_effect) {
  tb <- frame$value[frame$treated == 1 & frame$after == 0]
  cb <- frame$value[frame$treated == 0 & frame$after == 0]
  m <- length(tb) + length(cb) - 2
  sd_pre <- sqrt(((length(tb) - 1) * var(tb) + (length(cb) - 1) * var(cb)) / m)
  j <- exp(lgamma(m / 2) - log(sqrt(m / 2)) - lgamma((m - 1) / 2))
  g <- j * effect / sd_pre
  list(hedges_g = g, hedges_g_variance = var_effect / sd_pre^2 + g^2 / (2 * (m + 2)))
}

summarise <- function(frame, fit, V, df, level = 0.95) {
  b <- coef(fit)
  e_vec <- c(0, 0, 0, 1); c_vec <- c(1, 1, 1, 0)
  effect <- sum(e_vec * b); se <- sqrt(drop(t(e_vec) %*% V %*% e_vec))
  cf <- sum(c_vec * b); var_cf <- drop(t(c_vec) %*% V %*% c_vec)
  cov_ec <- drop(t(e_vec) %*% V %*% c_vec)
  crit <- qt(0.5 + level / 2, df)
  rel_v <- se^2 / cf^2 + effect^2 * var_cf / cf^4 - 2 * effect * cov_ec / cf^3
  c(list(effect = effect, se = se, df = df, statistic = effect / se,
         p_value = 2 * pt(-abs(effect / se), df), ci_low = effect - crit * se,
         ci_high = effect + crit * se, counterfactual_mean = cf, counterfactual_variance = var_cf,
         relative_change = effect / cf, relative_se = sqrt(rel_v)),
    did_g(frame, effect, se^2))
}

did <- prepare(read("did.csv"))
fit <- lm(value ~ after * treated, data = did)
n <- nrow(did)

result <- list(
  hc3 = summarise(did, fit, vcovHC(fit, type = "HC3"), n - 4),
  hc1 = summarise(did, fit, vcovHC(fit, type = "HC1"), n - 4),
  nonrobust = summarise(did, fit, vcov(fit), n - 4),
  hc3_90 = summarise(did, fit, vcovHC(fit, type = "HC3"), n - 4, level = 0.90),
  hc0 = summarise(did, fit, vcovHC(fit, type = "HC0"), n - 4),
  hc2 = summarise(did, fit, vcovHC(fit, type = "HC2"), n - 4)
)
write_json17(result, "tests/reference/outputs/did.json")
