# Reference values: a real but small SE next to large values (issue 19: values near 1e9 with
# an SD of about 1e-3 must keep their SE, CI and p). Welch t and Hedges' g, as two_group.R.
# Run from the repository root:  Rscript tests/reference/precision.R
# Reads tests/reference/data/precision.csv, writes tests/reference/outputs/precision.json.
suppressPackageStartupMessages(library(metafor))
source("tests/reference/json17.R")
frame <- read.csv("tests/reference/data/precision.csv", stringsAsFactors = FALSE)
after <- frame$value[frame$phase == "after"]
before <- frame$value[frame$phase == "before"]
tt <- t.test(after, before, var.equal = FALSE)
smd <- escalc("SMD", m1i = mean(after), m2i = mean(before), sd1i = sd(after),
              sd2i = sd(before), n1i = length(after), n2i = length(before))
write_json17(list(welch = list(
  effect = mean(after) - mean(before), se = unname(tt$stderr),
  statistic = unname(tt$statistic), df = unname(tt$parameter), p_value = tt$p.value,
  ci_low = tt$conf.int[1], ci_high = tt$conf.int[2], hedges_g = as.numeric(smd$yi),
  hedges_g_variance = as.numeric(smd$vi))), "tests/reference/outputs/precision.json")
