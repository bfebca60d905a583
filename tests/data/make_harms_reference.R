# Reference numbers for tests/test_harms.py and tests/test_certainty.py.
# Run: Rscript tests/data/make_harms_reference.R > tests/data/harms_reference.json
# Made with R 4.2.2 Patched (2022-11-10 r83330), metafor 3.8.1.
suppressMessages(library(metafor))
ci <- function(x, n) as.numeric(binom.test(x, n)$conf.int)  # Clopper-Pearson
pool <- function(xi, ni) {
  res <- rma(measure = "PLO", xi = xi, ni = ni, method = "REML", test = "z")
  p <- predict(res, transf = transf.ilogit)
  c(estimate = p$pred, ci_lower = p$ci.lb, ci_upper = p$ci.ub, pi_lower = p$pi.lb,
    pi_upper = p$pi.ub, I2 = res$I2)
}
fmt <- function(v) paste0("[", paste(sprintf("%.10f", v), collapse = ", "), "]")
cat("{\n")
cat(sprintf('  "r_version": "%s", "metafor": "%s",\n', R.version.string, packageVersion("metafor")))
cat(sprintf('  "exact_4_53": %s,\n', fmt(ci(4, 53))))
cat(sprintf('  "exact_2_53": %s,\n', fmt(ci(2, 53))))
cat(sprintf('  "primary_remission_3_3_47_53": %s,\n', fmt(pool(c(3, 47), c(3, 53)))))
cat(sprintf('  "infection_0_10_4_53": %s\n', fmt(pool(c(0, 4), c(10, 53)))))
cat("}\n")
