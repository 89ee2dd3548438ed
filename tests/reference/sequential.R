# Reference values: the asymptotic confidence sequence (always-valid interval).
# Run from the repository root:  Rscript tests/reference/sequential.R
# Reads tests/reference/data/*.csv, writes tests/reference/outputs/sequential.json.
#
# The closed form as Waudby-Smith, Arnold, Wu, Howard & Ramdas (arXiv:2103.06476 v7, 2023)
# write it, eq. (9), with sigma = SE * sqrt(n) and rho from their eq. (161), the
# parameterisation GrowthBook's gbstats uses (sequential_rho, sequential_interval_halfwidth,
# tuning parameter = the n where the sequence is tightest). Written here independently of the
# Python, which works with x = n rho^2 instead.
source("tests/reference/json17.R")
data_dir <- "tests/reference/data"
read <- function(name) read.csv(file.path(data_dir, name), stringsAsFactors = FALSE)

rho_for <- function(alpha, tuning) sqrt((-2 * log(alpha) + log(-2 * log(alpha) + 1)) / tuning)
cs <- function(effect, se, n, level, tuning) {
  alpha <- 1 - level
  rho <- rho_for(alpha, tuning)
  s2 <- se^2 * n
  half <- sqrt(s2) * sqrt(2 * (n * rho^2 + 1) * log(sqrt(n * rho^2 + 1) / alpha) / (n * rho)^2)
  list(effect = effect, se = se, n = n, tuning = tuning, level = level,
       cs_low = effect - half, cs_high = effect + half, half_width = half)
}

welch <- read("welch.csv")
after <- welch$value[welch$phase == "after"]; before <- welch$value[welch$phase == "before"]
tw <- t.test(after, before, var.equal = FALSE)
n_welch <- length(after) + length(before)

rct <- read("rct.csv")
treated <- rct$value[rct$group == "treatment"]; control <- rct$value[rct$group == "control"]
tr <- t.test(treated, control, var.equal = FALSE)

paired <- read("paired.csv")
m <- aggregate(value ~ unit + phase, data = paired, FUN = mean)
w <- reshape(m, idvar = "unit", timevar = "phase", direction = "wide")
w <- w[complete.cases(w), ]
tp <- t.test(w$value.after, w$value.before, paired = TRUE)

out <- list(
  # welch.csv: 12 before, 15 after; planned 40 a phase, so tightest at 2 x 40 rows.
  welch_planned_40 = cs(mean(after) - mean(before), unname(tw$stderr), n_welch, 0.95, 80),
  welch_planned_40_level_90 = cs(mean(after) - mean(before), unname(tw$stderr), n_welch, 0.90, 80),
  # no plan: the default 100 a phase.
  welch_no_plan = cs(mean(after) - mean(before), unname(tw$stderr), n_welch, 0.95, 200),
  rct_planned_12 = cs(mean(treated) - mean(control), unname(tr$stderr),
                      length(treated) + length(control), 0.95, 24),
  # paired.csv: 11 units in both phases, planned 11: n = n_opt.
  paired_planned_11 = cs(mean(w$value.after - w$value.before), unname(tp$stderr),
                         nrow(w), 0.95, 11),
  # the multiplier at n = n_opt, alpha = 0.05: the half-width of an SE of 1.
  multiplier_at_plan = cs(0, 1, 50, 0.95, 50)$half_width
)
write_json17(out, "tests/reference/outputs/sequential.json")
