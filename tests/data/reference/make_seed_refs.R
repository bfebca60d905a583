# metafor's values for the seed evidence base's pooled analyses (evidence/analysis.yaml),
# to compare with outputs/results.json. Usage: Rscript make_seed_refs.R seed_refs.json
suppressMessages({library(metafor); library(jsonlite)})
args <- commandArgs(TRUE)
fit <- function(xi, ni, measure = "PLO", method = "REML", test = "z", glmm = FALSE) {
  if (glmm) {
    r <- rma.glmm(measure = "PLO", xi = xi, ni = ni, method = "ML")
    return(list(estimate = transf.ilogit(unname(r$b[1])), ci_lower = transf.ilogit(r$ci.lb),
                ci_upper = transf.ilogit(r$ci.ub), tau2 = r$tau2))
  }
  es <- escalc(measure = measure, xi = xi, ni = ni)
  r <- rma(yi, vi, data = es, method = method, test = test,
           control = list(threshold = 1e-12, maxiter = 10000))
  back <- switch(measure, PLO = transf.ilogit, PFT = function(x) transf.ipft.hm(x, targs = list(ni = ni)))
  p <- predict(r, transf = back)
  list(estimate = unname(p$pred), ci_lower = unname(p$ci.lb), ci_upper = unname(p$ci.ub),
       pi_lower = unname(p$pi.lb), pi_upper = unname(p$pi.ub), tau2 = r$tau2, I2 = r$I2, Q = r$QE)
}
# the direct evidence (Wang 3/3, Liu 47/53; the primary, Bayesian, is checked against its own
# brute-force posterior in tests/test_bayes.py); Beckett (indirect) enters only
# the with_indirect analyses: 7/8 (cutaneous improvement on upadacitinib) or 9/10 (continuation)
x <- c(3, 47); n <- c(3, 53)
analyses <- list(
  reml_wald = fit(x, n), glmm = fit(x, n, glmm = TRUE), hartung_knapp = fit(x, n, test = "knha"),
  freeman_tukey_dl = fit(x, n, measure = "PFT", method = "DL"),
  strata = fit(c(3, 6, 29, 12), c(3, 11, 30, 12)),
  cotherapy_attribution = fit(c(3, 46), c(3, 53)),
  with_indirect = fit(c(3, 7, 47), c(3, 8, 53)),
  with_indirect_continuation = fit(c(3, 9, 47), c(3, 10, 53)))
out <- list(R = R.version.string, metafor = as.character(packageVersion("metafor")),
            call = "Rscript make_seed_refs.R seed_refs.json", analyses = analyses)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA), args[1])
