# Reference values for the methods Gains used before issue 19, which the calibration suite keeps
# (bench/calibration/alternatives.py) so that every run shows them beside the app's:
# DiD on unit means with HC3 (fewer than 30 units) and on rows with CR1 by unit (30 or more),
# ITS with Newey-West as Stata's newey, and the random-effects mean with a normal CI.
# Run from the repository root:  Rscript tests/reference/calibration_old_methods.R
suppressPackageStartupMessages({ library(sandwich); library(metafor) })
source("tests/reference/json17.R")
read <- function(name) read.csv(file.path("tests/reference/data", name), stringsAsFactors = FALSE)

interval <- function(estimate, se, df) {
  crit <- qt(0.975, df)
  list(estimate = estimate, se = se, df = df, ci_low = estimate - crit * se, ci_high = estimate + crit * se)
}

did_interval <- function(frame, V, df) {
  frame$after <- as.numeric(frame$phase == "after")
  frame$treated <- as.numeric(frame$group == "treatment")
  fit <- lm(value ~ after * treated, data = frame)
  V <- V(fit)
  interval(unname(coef(fit)[4]), sqrt(V[4, 4]), df(frame))
}

unit_means <- aggregate(value ~ unit + group + phase, data = read("did_unit_means.csv"), FUN = mean)
clustered <- read("did_cluster.csv")

raw <- read("its.csv")
raw$week <- as.Date(cut(as.Date(raw$date), "week"))  # weeks start on Monday
raw$after <- as.numeric(raw$phase == "after")
w <- aggregate(value ~ week + after, data = raw, FUN = mean)
w <- w[order(w$week, w$after), ]
w$t <- as.numeric(w$week - w$week[1]) / 7
w$t_since <- ifelse(w$after == 1, w$t - min(w$t[w$after == 1]), 0)
n <- nrow(w)
fit <- lm(value ~ t + after + t_since, data = w)
V <- NeweyWest(fit, lag = floor(4 * (n / 100)^(2 / 9)), prewhite = FALSE, adjust = TRUE)
contrast <- c(0, 0, 1, mean(w$t_since[w$after == 1]))

bcg <- read("bcg.csv")
pooled <- rma(yi = bcg$effect, vi = bcg$variance, method = "DL", test = "z")

result <- list(
  did_unit_means_hc3 = did_interval(unit_means, function(fit) vcovHC(fit, type = "HC3"),
                                    function(frame) nrow(frame) - 4),
  did_rows_cr1 = did_interval(clustered, function(fit) vcovCL(fit, cluster = ~unit, type = "HC1"),
                              function(frame) length(unique(frame$unit)) - 1),
  its_newey_west = interval(sum(contrast * coef(fit)), sqrt(drop(t(contrast) %*% V %*% contrast)), n - 4),
  pooled_dl_normal = list(estimate = as.numeric(pooled$b), tau2 = pooled$tau2,
                          ci_low = pooled$ci.lb, ci_high = pooled$ci.ub)
)
write_json17(result, "tests/reference/outputs/calibration_old_methods.json")
