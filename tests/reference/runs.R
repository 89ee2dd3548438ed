# Run chart rules (Anhoej), written independently of gains/stats/runs.py, as qicharts2's
# runs.analysis computes them (qicharts2 itself is not installed here): the centre line is
# the median of the baseline points (qicharts2's `freeze`), points on it are dropped, the
# longest run is compared with round(log2(n.useful)) + 3 and the crossings with
# qbinom(0.05, n.useful - 1, 0.5). Output: outputs/runs.json.
source("tests/reference/json17.R")

runs_analysis <- function(y, n_baseline) {
  cl <- median(y[seq_len(n_baseline)])
  sides <- sign(y - cl)
  useful <- which(sides != 0)
  lengths <- rle(sides[useful])$lengths
  n_useful <- length(useful)
  limit <- round(log2(n_useful)) + 3
  ends <- cumsum(lengths)
  starts <- ends - lengths + 1
  long <- unlist(lapply(which(lengths > limit), function(r) useful[starts[r]:ends[r]] - 1))
  list(
    values = y, n_baseline = n_baseline, median = cl, n_useful = n_useful,
    longest_run = max(lengths), longest_run_limit = limit,
    crossings = length(lengths) - 1,
    crossings_limit = qbinom(0.05, max(n_useful - 1, 0), 0.5),
    # 0-based positions of the points in runs longer than the limit
    long_run_points = I(as.numeric(long))
  )
}

set.seed(21)
series <- list(
  # 12 weeks before, a step down of 3 after go-live: a long run below the median
  step_down = list(y = c(round(rnorm(12, 20, 1), 2), round(rnorm(12, 17, 1), 2)), base = 12),
  # random noise about a fixed level, 15 weeks before and 15 after
  noise = list(y = round(rnorm(30, 5, 0.5), 2), base = 15),
  # crosses the median often, no long run: no signal
  no_signal = list(y = c(5, 6, 4, 7, 5, 6, 4, 6, 5, 7, 4, 6, 5, 4, 6, 7, 5, 4, 6, 5), base = 10),
  # points on the median (repeated integer counts) are dropped
  ties = list(y = c(4, 5, 5, 6, 5, 4, 6, 5, 5, 4, 7, 7, 6, 7, 8, 6, 7, 7), base = 10),
  # runs of 7, 7 and 6: no run too long (limit 7 for 20 points) but only 2 crossings
  few_crossings = list(y = c(10:16, 1:7, 11, 12, 13, 14, 15, 16), base = 14),
  # alternates about the median, then stays high
  alternate_then_high = list(y = c(1, 3, 1, 3, 1, 3, 5, 5, 6, 5, 6, 0, 6, 5, 6, 7, 5, 6, 5, 6), base = 6),
  # short baseline of 3 points, 8 after
  short = list(y = c(10, 12, 11, 9, 9, 8, 9, 8, 9, 9, 8), base = 3),
  # a long upward trend: one run below then one above
  trend = list(y = as.numeric(1:40), base = 20),
  # the every-week baseline (no go-live yet)
  all_baseline = list(y = round(rnorm(16, 100, 10), 1), base = 16)
)
out <- lapply(series, function(s) runs_analysis(s$y, s$base))
limits <- lapply(1:100, function(n) list(
  n = n, longest_run_limit = round(log2(n)) + 3, crossings_limit = qbinom(0.05, n - 1, 0.5)))
write_json17(list(series = out, limits = limits), "tests/reference/outputs/runs.json")
