# Reference values: controlled interrupted time series (Lopez Bernal, Cummins & Gasparrini 2018,
# Int J Epidemiol 47:2082-2093): the segmented regression with AR(1) errors by REML fitted to the
# weekly difference treated - control over the weeks where both groups have a point.
# Run from the repository root:  Rscript tests/reference/its_control.R
#
# data/its_control.csv (written here, seeded): 20 weeks before go-live and 16 after, three rows
# a week for each group; both groups share a trend and a shock of +6 from week 24 (after
# go-live); the treated group also changes by -3 at go-live. The control has no rows in week 3
# and the treated none in week 30: those weeks are not paired. Gains' counterfactual for the
# relative change is the treated series' post-period mean minus the effect.
suppressPackageStartupMessages({library(nlme); library(emmeans)})
source("tests/reference/json17.R")

path <- "tests/reference/data/its_control.csv"
if (!file.exists(path)) {
  set.seed(20261205)
  weeks <- 0:35
  shared <- as.numeric(arima.sim(list(ar = 0.5), n = 36, sd = 1))
  mu <- 40 + 0.2 * weeks + shared + ifelse(weeks >= 24, 6, 0)
  group_rows <- function(group, shift, skip) {
    do.call(rbind, lapply(setdiff(weeks, skip), function(w) {
      data.frame(date = format(as.Date("2025-01-06") + 7 * w + 0:2),
                 phase = ifelse(w >= 20, "after", "before"), group = group,
                 value = round(mu[w + 1] + shift + ifelse(w >= 20, -3 * (group == "treatment"), 0) +
                                 rnorm(3, 0, 1), 3))
    }))
  }
  write.csv(rbind(group_rows("treatment", 5, 30), group_rows("control", 0, 3)), path,
            row.names = FALSE)
}

raw <- read.csv(path, stringsAsFactors = FALSE)
raw$week <- as.Date(cut(as.Date(raw$date), "week"))  # weeks start on Monday
raw$after <- as.numeric(raw$phase == "after")
means <- aggregate(value ~ week + after + group, data = raw, FUN = mean)
treated <- means[means$group == "treatment", c("week", "after", "value")]
control <- means[means$group == "control", c("week", "after", "value")]
w <- merge(treated, control, by = c("week", "after"), suffixes = c("_treated", "_control"))
w <- w[order(w$week, w$after), ]
w$diff <- w$value_treated - w$value_control
w$t <- as.numeric(w$week - w$week[1]) / 7
t0 <- min(w$t[w$after == 1])
w$t_since <- ifelse(w$after == 1, w$t - t0, 0)

fit <- gls(diff ~ t + after + t_since, data = w, correlation = corAR1(), method = "REML",
           control = glsControl(tolerance = 1e-14, msTol = 1e-14, msMaxIter = 500,
                                maxIter = 500, returnObject = TRUE))
rg <- ref_grid(fit, mode = "satterthwaite", data = w)
emmeans_df <- function(k) rg@dffun(k, rg@dfargs)
b <- coef(fit); V <- vcov(fit)
post <- w[w$after == 1, ]
e_vec <- c(0, 0, 1, mean(post$t_since))
effect <- sum(e_vec * b); se <- sqrt(drop(t(e_vec) %*% V %*% e_vec))
# Counterfactual = treated post mean - effect (the treated mean taken as observed):
# Var = se^2, Cov(effect, counterfactual) = -se^2.
cf <- mean(post$value_treated) - effect
coef_summary <- function(i) list(estimate = unname(b[i]), se = sqrt(V[i, i]),
                                 df_emmeans = emmeans_df(replace(numeric(4), i, 1)))
# And the same weeks without the control: the shared shock is then part of the effect.
alone <- gls(value_treated ~ t + after + t_since, data = w, correlation = corAR1(),
             method = "REML")
write_json17(list(
  n_before = sum(w$after == 0), n_after = sum(w$after == 1),
  params = unname(b), vcov = as.vector(V),
  phi = unname(coef(fit$modelStruct$corStruct, unconstrained = FALSE)), sigma = fit$sigma,
  effect = effect, se = se, df_emmeans = emmeans_df(e_vec),
  counterfactual_mean = cf, relative_change = effect / abs(cf),
  relative_se = sqrt(se^2 / cf^2 + effect^2 * se^2 / cf^4 + 2 * effect * se^2 / cf^3),
  level_change = coef_summary(3), slope_change = coef_summary(4),
  uncontrolled_effect_same_weeks = sum(e_vec * coef(alone))
), "tests/reference/outputs/its_control.json")
