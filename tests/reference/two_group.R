# Reference values: Welch, paired (unit means), randomised treatment vs control.
# Run from the repository root:  Rscript tests/reference/two_group.R
# Reads tests/reference/data/*.csv, writes tests/reference/outputs/two_group.json.
suppressPackageStartupMessages(library(metafor))
source("tests/reference/json17.R")
data_dir <- "tests/reference/data"
read <- function(name) read.csv(file.path(data_dir, name), stringsAsFactors = FALSE)

# Delta-method relative change R = e / c, written out independently of the Python code.
relative <- function(e, c, ve, vc, cov_ec, crit) {
  v <- ve / c^2 + e^2 * vc / c^4 - 2 * e * cov_ec / c^3
  list(ratio = e / c, se = sqrt(v), ci_low = e / c - crit * sqrt(v), ci_high = e / c + crit * sqrt(v))
}

welch_case <- function(first, second, level) {
  tt <- t.test(first, second, var.equal = FALSE, conf.level = level)
  smd <- escalc("SMD", m1i = mean(first), m2i = mean(second), sd1i = sd(first),
                sd2i = sd(second), n1i = length(first), n2i = length(second))
  vs <- var(second) / length(second)
  se <- unname(tt$stderr)
  crit <- qt(0.5 + level / 2, tt$parameter)
  list(effect = mean(first) - mean(second), se = se, statistic = unname(tt$statistic),
       df = unname(tt$parameter), p_value = tt$p.value, ci_low = tt$conf.int[1],
       ci_high = tt$conf.int[2], hedges_g = as.numeric(smd$yi),
       hedges_g_variance = as.numeric(smd$vi),
       relative = relative(mean(first) - mean(second), mean(second), se^2, vs, -vs, crit))
}

paired_case <- function(frame, level) {
  m <- aggregate(value ~ unit + phase, data = frame, FUN = mean)
  w <- reshape(m, idvar = "unit", timevar = "phase", direction = "wide")
  w <- w[complete.cases(w), ]
  a <- w$value.after; b <- w$value.before; d <- a - b; n <- length(d)
  tt <- t.test(a, b, paired = TRUE, conf.level = level)
  smcr <- escalc("SMCR", m1i = mean(a), m2i = mean(b), sd1i = sd(b), ni = n, ri = cor(a, b))
  crit <- qt(0.5 + level / 2, n - 1)
  list(effect = mean(d), se = unname(tt$stderr), statistic = unname(tt$statistic),
       df = unname(tt$parameter), p_value = tt$p.value, ci_low = tt$conf.int[1],
       ci_high = tt$conf.int[2], n_units = n, hedges_g = as.numeric(smcr$yi),
       hedges_g_variance = as.numeric(smcr$vi),
       relative = relative(mean(d), mean(b), var(d) / n, var(b) / n, cov(d, b) / n, crit))
}

welch <- read("welch.csv")
rct <- read("rct.csv")
result <- list(
  welch_95 = welch_case(welch$value[welch$phase == "after"], welch$value[welch$phase == "before"], 0.95),
  welch_90 = welch_case(welch$value[welch$phase == "after"], welch$value[welch$phase == "before"], 0.90),
  paired_95 = paired_case(read("paired.csv"), 0.95),
  sleep_95 = paired_case(read("sleep.csv"), 0.95),
  rct_95 = welch_case(rct$value[rct$group == "treatment"], rct$value[rct$group == "control"], 0.95)
)
write_json17(result, "tests/reference/outputs/two_group.json")
