# Green Book appraisal (HM Treasury 2022), written independently of gains/stats/appraisal.py:
# present values by an explicit loop over years, payback by walking month by month.
# Output: outputs/appraisal.json. Cases: the three worked in tests/stats/test_appraisal.py,
# edge cases, and a seeded grid of terms within gains.bounds.
source("tests/reference/json17.R")

appraise <- function(saving_pence, cost_pence, years, persistence = 1, rate = 0.035,
                     bias_benefits = 0, bias_costs = 0) {
  factor <- 0
  for (t in seq_len(years)) {
    factor <- factor + (1 - bias_benefits) * persistence^(t - 1) / (1 + rate)^t
  }
  pvb <- factor * saving_pence
  pvc <- cost_pence * (1 + bias_costs)
  # Payback: month m = 12 (t - 1) + j; undiscounted benefits accrue evenly within year t.
  # Ties count as covered: a relative slack of 1e-12 absorbs the floats' rounding, which the
  # Python code avoids with exact fractions.
  payback <- NA
  before <- 0
  for (t in seq_len(years)) {
    yearly <- saving_pence * (1 - bias_benefits) * persistence^(t - 1)
    for (j in 1:12) {
      if (before + yearly * j / 12 >= pvc - 1e-12 * max(1, abs(pvc))) {
        payback <- 12 * (t - 1) + j
        break
      }
    }
    if (!is.na(payback)) break
    before <- before + yearly
  }
  list(saving_pence = saving_pence, cost_pence = cost_pence, years = years,
       persistence = persistence, rate = rate, bias_benefits = bias_benefits,
       bias_costs = bias_costs, factor = factor, pv_benefits = pvb, pv_costs = pvc,
       payback_month = if (is.na(payback)) NULL else payback)
}

cases <- list(
  appraise(1000000, 500000, 3, 0.8, 0.035, 0.15, 0.10),
  appraise(600000, 800000, 3, 0.5),
  appraise(600000, 800000, 1, 0.5),
  appraise(100000, 0, 2, rate = 0.015),
  appraise(1200000, 100000, 1),
  appraise(1200000, 625000, 1, bias_costs = 0.12),
  appraise(-100000, 0, 5),
  appraise(1200000, 3600000, 3),
  appraise(100000, 50000, 30, 1, 0),
  appraise(250000000, 900000000, 30, 0.97, 0.015, 0.4, 1.5)
)
set.seed(20)
for (i in 1:40) {
  saving <- round(runif(1, -1e8, 1e9))
  cases[[length(cases) + 1]] <- appraise(
    saving_pence = saving, cost_pence = round(abs(saving) * runif(1, 0, 1.5)),
    years = sample(1:30, 1), persistence = round(runif(1, 0.5, 1), 4),
    rate = sample(c(0.035, 0.015, 0, 0.1), 1), bias_benefits = round(runif(1, 0, 0.95), 4),
    bias_costs = round(runif(1, 0, 0.6), 4)
  )
}
write_json17(list(cases = cases), "tests/reference/outputs/appraisal.json")
