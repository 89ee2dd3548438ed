# Reference values: control-group designs with repeated units, cluster-robust CR2 with
# Satterthwaite df as clubSandwich computes them (Bell & McCaffrey 2002; Pustejovsky & Tipton
# 2018). Run from the repository root:  Rscript tests/reference/did_cr2.R
#
# * change: each unit's after mean minus its before mean, lm(change ~ treated), one row per unit;
# * ancova: lm(after ~ treated + before) on unit means (randomised trials);
# * rows: lm(value ~ after * treated) on the rows, clustered by unit (cov = "cluster").
# The counterfactual's variance and covariance with the effect come from the same CR2 sandwich:
# for change scores from the stacked model of (change, before) per unit, which has the same
# per-unit adjustment as the two separate fits because its hat matrix is block diagonal.
suppressPackageStartupMessages(library(clubSandwich))
source("tests/reference/json17.R")
read <- function(name) read.csv(file.path("tests/reference/data", name), stringsAsFactors = FALSE)

hedges_j <- function(m) exp(lgamma(m / 2) - log(sqrt(m / 2)) - lgamma((m - 1) / 2))
pooled_sd <- function(x, group) {
  t <- x[group == 1]; c <- x[group == 0]
  sqrt(((length(t) - 1) * var(t) + (length(c) - 1) * var(c)) / (length(x) - 2))
}

# Unit means per phase, one row per unit seen in both phases (units keyed by group and unit).
unit_table <- function(frame) {
  means <- aggregate(value ~ unit + group + phase, data = frame, FUN = mean)
  before <- means[means$phase == "before", c("unit", "group", "value")]
  after <- means[means$phase == "after", c("unit", "group", "value")]
  names(before)[3] <- "before"; names(after)[3] <- "after"
  units <- merge(before, after, by = c("unit", "group"))
  units$treated <- as.numeric(units$group == "treatment")
  units$change <- units$after - units$before
  units$cluster <- paste(units$group, units$unit)
  units[order(units$cluster), ]
}

# Everything an estimate reports, from the effect coefficient's clubSandwich test and, for the
# counterfactual, the CR2 covariance V of the coefficients b with contrasts e_vec and c_vec.
summarise <- function(fit, cluster, coefficient, b, V, e_vec, c_vec, g_sd, g_m, g_n,
                      level = 0.95) {
  test <- coef_test(fit, vcov = "CR2", cluster = cluster, test = "Satterthwaite")
  ci <- conf_int(fit, vcov = "CR2", cluster = cluster, test = "Satterthwaite", level = level)
  row <- which(test$Coef == coefficient)
  effect <- unname(coef(fit)[coefficient]); se <- test$SE[row]; df <- test$df_Satt[row]
  stopifnot(abs(sum(e_vec * b) - effect) < 1e-12)
  stopifnot(abs(sqrt(drop(t(e_vec) %*% V %*% e_vec)) / se - 1) < 1e-12)
  cf <- sum(c_vec * b)
  var_cf <- drop(t(c_vec) %*% V %*% c_vec); cov_ec <- drop(t(e_vec) %*% V %*% c_vec)
  rel_v <- se^2 / cf^2 + effect^2 * var_cf / cf^4 - 2 * effect * cov_ec / cf^3
  g <- hedges_j(g_m) * effect / g_sd
  list(effect = effect, se = se, df = df, statistic = test$tstat[row], p_value = test$p_Satt[row],
       ci_low = ci$CI_L[row], ci_high = ci$CI_U[row], counterfactual_mean = cf,
       counterfactual_variance = var_cf, cov_effect_counterfactual = cov_ec,
       relative_change = effect / abs(cf), relative_se = sqrt(rel_v),
       hedges_g = g, hedges_g_variance = se^2 / g_sd^2 + g^2 / (2 * g_n))
}

change_scores <- function(units, level = 0.95) {
  fit <- lm(change ~ treated, data = units)
  # Stacked (change, before) model, for the counterfactual: treated before mean + control change.
  long <- rbind(data.frame(cluster = units$cluster, y = units$change, treated = units$treated,
                           is_change = 1),
                data.frame(cluster = units$cluster, y = units$before, treated = units$treated,
                           is_change = 0))
  long$is_before <- 1 - long$is_change
  long$change_treated <- long$is_change * long$treated
  long$before_treated <- long$is_before * long$treated
  stacked <- lm(y ~ 0 + is_change + change_treated + is_before + before_treated, data = long)
  V <- as.matrix(vcovCR(stacked, cluster = long$cluster, type = "CR2"))
  out <- summarise(fit, units$cluster, "treated", coef(stacked), V, c(0, 1, 0, 0), c(1, 0, 1, 1),
                   pooled_sd(units$before, units$treated), nrow(units) - 2, nrow(units), level)
  out$n_units <- nrow(units)
  out
}

ancova <- function(units, level = 0.95) {
  fit <- lm(after ~ treated + before, data = units)
  V <- as.matrix(vcovCR(fit, cluster = units$cluster, type = "CR2"))
  treated_before <- mean(units$before[units$treated == 1])
  out <- summarise(fit, units$cluster, "treated", coef(fit), V, c(0, 1, 0), c(1, 0, treated_before),
                   pooled_sd(units$after, units$treated), nrow(units) - 2, nrow(units), level)
  var_of <- function(formula) {
    f <- lm(formula, data = units)
    as.matrix(vcovCR(f, cluster = units$cluster, type = "CR2"))["treated", "treated"]
  }
  out$var_unadjusted <- var_of(after ~ treated)
  out$var_change_scores <- var_of(change ~ treated)
  out$variance_reduction <- 1 - out$se^2 / out$var_unadjusted
  out$variance_reduction_vs_change_scores <- 1 - out$se^2 / out$var_change_scores
  out$n_units <- nrow(units)
  out
}

rows_clustered <- function(frame, level = 0.95) {
  frame$after <- as.numeric(frame$phase == "after")
  frame$treated <- as.numeric(frame$group == "treatment")
  frame$cluster <- paste(frame$group, frame$unit)
  fit <- lm(value ~ after * treated, data = frame)
  V <- as.matrix(vcovCR(fit, cluster = frame$cluster, type = "CR2"))
  before <- frame$after == 0
  summarise(fit, frame$cluster, "after:treated", coef(fit), V, c(0, 0, 0, 1), c(1, 1, 1, 0),
            pooled_sd(frame$value[before], frame$treated[before]), sum(before) - 2, sum(before),
            level)
}

few <- read("did_unit_means.csv")
many <- read("did_cluster.csv")
# One control unit measured before only and one treated unit after only: both left out.
unpaired <- few[!(few$unit == "M12" & few$phase == "after") &
                  !(few$unit == "M01" & few$phase == "before"), ]

result <- list(
  change_few = change_scores(unit_table(few)),
  change_few_90 = change_scores(unit_table(few), level = 0.90),
  change_many = change_scores(unit_table(many)),
  change_unpaired = change_scores(unit_table(unpaired)),
  ancova_few = ancova(unit_table(few)),
  ancova_many = ancova(unit_table(many)),
  rows_few = rows_clustered(few),
  rows_many = rows_clustered(many)
)
write_json17(result, "tests/reference/outputs/did_cr2.json")
