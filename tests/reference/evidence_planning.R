# Reference values: the DiD pre-trend test behind evidence level 4 (`gains.stats.evidence`)
# and the minimum detectable effect / n needed per design at registration
# (`gains.stats.power.plan_check`). Run from the repository root:
#   Rscript tests/reference/evidence_planning.R
# It writes data/pre_trend.csv (seeded) and outputs/evidence_planning.json.
source("tests/reference/json17.R")

# --- Pre-trend test --------------------------------------------------------------------------
# Two DiD data sets with dated rows every 3 days, 12 weeks before and 8 after a Monday go-live:
# "parallel" (both groups share a slope before) and "diverging" (the treated slope is steeper
# before the change). Rows of one case share nothing with the other.
set.seed(20261203)
go_live <- as.Date("2026-03-02")
make_case <- function(name, treated_slope) {
  rows <- list()
  for (group in c("treatment", "control")) {
    slope <- if (group == "treatment") treated_slope else 0.05
    for (offset in seq(-84, 55, by = 3)) {
      phase <- if (offset < 0) "before" else "after"
      day <- go_live + offset
      mean <- 20 + slope * offset / 7 + (group == "treatment" && phase == "after") * 1.5
      rows[[length(rows) + 1]] <- data.frame(case = name, phase = phase, group = group,
                                             date = format(day), value = round(rnorm(1, mean, 1), 3))
    }
  }
  do.call(rbind, rows)
}
data <- rbind(make_case("parallel", 0.05), make_case("diverging", 0.40))
write.csv(data, "tests/reference/data/pre_trend.csv", row.names = FALSE, quote = FALSE)

# A period is a Monday-start week; t counts weeks since Monday 5 January 1970.
pre_trend <- function(rows) {
  before <- rows[rows$phase == "before", ]
  before$t <- floor(as.numeric(as.Date(before$date) - as.Date("1970-01-05")) / 7)
  before$treated <- as.numeric(before$group == "treatment")
  fit <- summary(lm(value ~ treated * t, data = before))
  row <- fit$coefficients["treated:t", ]
  list(slope_difference = row[["Estimate"]], statistic = row[["t value"]],
       df = fit$df[2], p_value = row[["Pr(>|t|)"]])
}
pre_trend_out <- lapply(split(data, data$case), pre_trend)

# --- Minimum detectable effect and n needed ---------------------------------------------------
# power.t.test(delta = NULL) solves the MDE; its default uniroot tolerance is too loose for a
# reference, hence tol. The DiD (four cells of n, SE = sd * sqrt(4 / n), 4n - 4 df) is the same
# noncentral t written out, both tails counted as strict = TRUE does.
did_power <- function(delta, n, sd, alpha) {
  df <- 4 * n - 4
  ncp <- delta / (sd * sqrt(4 / n))
  q <- qt(1 - alpha / 2, df)
  pt(q, df, ncp, lower.tail = FALSE) + pt(-q, df, ncp, lower.tail = TRUE)
}
mde <- function(design, n, sd, power, alpha) {
  if (design == "control_group") {
    return(uniroot(function(d) did_power(d, n, sd, alpha) - power, c(1e-9, 100 * sd),
                   tol = 1e-14)$root)
  }
  type <- if (design == "paired") "paired" else "two.sample"
  power.t.test(n = n, sd = sd, power = power, sig.level = alpha, delta = NULL, type = type,
               strict = TRUE, tol = 1e-13)$delta
}
n_needed <- function(design, delta, sd, power, alpha) {
  if (design == "control_group") {
    return(uniroot(function(n) did_power(delta, n, sd, alpha) - power, c(1.5, 1e6),
                   tol = 1e-13)$root)
  }
  type <- if (design == "paired") "paired" else "two.sample"
  power.t.test(delta = delta, sd = sd, power = power, sig.level = alpha, n = NULL, type = type,
               strict = TRUE, tol = 1e-13)$n
}
cases <- list(
  list(design = "before_after", n = 20, sd = 8, power = 0.8, alpha = 0.05, effect = 5),
  list(design = "before_after", n = 150, sd = 2.5, power = 0.9, alpha = 0.01, effect = 0.4),
  list(design = "paired", n = 12, sd = 3, power = 0.8, alpha = 0.05, effect = 2),
  list(design = "paired", n = 40, sd = 0.7, power = 0.9, alpha = 0.05, effect = 0.25),
  list(design = "control_group", n = 25, sd = 4, power = 0.8, alpha = 0.05, effect = 3),
  list(design = "control_group", n = 300, sd = 12, power = 0.8, alpha = 0.10, effect = 2)
)
planning_out <- lapply(cases, function(cs) {
  c(cs, list(minimum_detectable_effect = mde(cs$design, cs$n, cs$sd, cs$power, cs$alpha),
             n_needed = n_needed(cs$design, cs$effect, cs$sd, cs$power, cs$alpha)))
})

write_json17(list(r_version = R.version.string, pre_trend = pre_trend_out,
                  planning = planning_out), "tests/reference/outputs/evidence_planning.json")
