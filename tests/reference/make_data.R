# Deterministic datasets for the statistics reference values.
# Run from the repository root:  Rscript tests/reference/make_data.R
# Values are rounded to 2 decimals so the CSV files hold them exactly.
set.seed(20261123)
out <- "tests/reference/data"
dir.create(out, showWarnings = FALSE, recursive = TRUE)
save <- function(frame, name) write.csv(frame, file.path(out, name), row.names = FALSE)

# Welch before/after: unequal n and SDs.
save(data.frame(
  phase = c(rep("before", 12), rep("after", 15)),
  value = round(c(rnorm(12, 50, 6), rnorm(15, 46, 9)), 2)
), "welch.csv")

# Paired by unit means: 11 units with 1-3 rows per phase, plus 2 units seen in one phase only.
rows <- list()
for (u in 1:11) {
  level <- rnorm(1, 20, 4)
  nb <- sample(1:3, 1); na <- sample(1:3, 1)
  rows[[length(rows) + 1]] <- data.frame(unit = sprintf("U%02d", u), phase = "before",
                                         value = round(level + rnorm(nb, 0, 1.5), 2))
  rows[[length(rows) + 1]] <- data.frame(unit = sprintf("U%02d", u), phase = "after",
                                         value = round(level + 1.2 + rnorm(na, 0, 1.5), 2))
}
rows[[length(rows) + 1]] <- data.frame(unit = "U12", phase = "before", value = c(18.5, 19.25))
rows[[length(rows) + 1]] <- data.frame(unit = "U13", phase = "after", value = 23.75)
save(do.call(rbind, rows), "paired.csv")

# Classic sleep data (Student 1908; R datasets::sleep) as paired units.
save(data.frame(unit = paste0("S", sleep$ID),
                phase = ifelse(sleep$group == 1, "before", "after"),
                value = sleep$extra), "sleep.csv")

# Difference-in-differences, independent rows, unequal cells and variances.
cell <- function(group, phase, n, mu, s) data.frame(group = group, phase = phase,
                                                    value = round(rnorm(n, mu, s), 2))
save(rbind(cell("treatment", "before", 9, 30, 4), cell("treatment", "after", 12, 27, 6),
           cell("control", "before", 10, 31, 3), cell("control", "after", 8, 30.5, 5)),
     "did.csv")

# DiD with 40 repeated units: 20 treated, 20 control, 2-3 rows per phase.
rows <- list()
for (u in 1:40) {
  group <- if (u <= 20) "treatment" else "control"
  level <- rnorm(1, 100, 10)
  for (phase in c("before", "after")) {
    shift <- if (phase == "after") (if (group == "treatment") -6 else -1) else 0
    n <- sample(2:3, 1)
    rows[[length(rows) + 1]] <- data.frame(unit = sprintf("C%02d", u), group = group,
                                           phase = phase,
                                           value = round(level + shift + rnorm(n, 0, 5), 2))
  }
}
save(do.call(rbind, rows), "did_cluster.csv")

# DiD with only 12 repeated units (change scores with CR2: did_cr2.R).
rows <- list()
for (u in 1:12) {
  group <- if (u <= 6) "treatment" else "control"
  level <- rnorm(1, 10, 2)
  for (phase in c("before", "after")) {
    shift <- if (phase == "after" && group == "treatment") 1.5 else 0
    rows[[length(rows) + 1]] <- data.frame(unit = sprintf("M%02d", u), group = group,
                                           phase = phase,
                                           value = round(level + shift + rnorm(2, 0, 1), 2))
  }
}
save(do.call(rbind, rows), "did_unit_means.csv")

# Randomised trial without a before period.
save(rbind(cell("treatment", "after", 14, 12, 2.5), cell("control", "after", 11, 10.5, 2)),
     "rct.csv")

# Interrupted time series: 2-4 daily observations a week, 20 weeks before, 16 after go-live.
start <- as.Date("2025-01-06")  # a Monday
golive <- as.Date("2025-05-26")  # Monday of week 21
rows <- list()
noise <- as.numeric(arima.sim(list(ar = 0.5), n = 36, sd = 1.2))
for (w in 0:35) {
  days <- sort(sample(0:4, sample(2:4, 1)))
  dates <- start + 7 * w + days
  after <- dates >= golive
  mu <- 40 + 0.15 * w + ifelse(after, -3 - 0.2 * (w - 20), 0) + noise[w + 1]
  rows[[length(rows) + 1]] <- data.frame(date = format(dates), phase = ifelse(after, "after", "before"),
                                         value = round(mu + rnorm(length(dates), 0, 1), 2))
}
save(do.call(rbind, rows), "its.csv")

# Meta-analysis: BCG vaccine trials (Colditz et al. 1994; metafor::dat.bcg), log risk ratios.
library(metafor)
bcg <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
save(data.frame(label = paste(bcg$author, bcg$year), effect = as.numeric(bcg$yi),
                variance = as.numeric(bcg$vi)), "bcg.csv")
