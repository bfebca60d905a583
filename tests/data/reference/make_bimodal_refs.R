# Reference values for the bimodal likelihood of tau2 (tests/test_many_tau2.py), metafor 3.8-1.
# Usage: Rscript make_bimodal_refs.R bimodal_refs.json
suppressMessages({library(metafor); library(jsonlite)})
args <- commandArgs(TRUE)
xi <- c(0, 11, 14, 1, 28, 7, 0); ni <- c(79, 30, 14, 1, 60, 16, 1)
es <- escalc(measure = "PLO", xi = xi, ni = ni)
ctrl <- list(threshold = 1e-12, maxiter = 1000)
# ML: Fisher scoring finds the interior stationary point; metafor compares it with tau2 = 0 and
# keeps 0 ("Fisher scoring algorithm may have gotten stuck at a local maximum").
ml <- suppressWarnings(rma(yi, vi, data = es, method = "ML", control = ctrl))
ll_at <- function(t) as.numeric(logLik(rma(yi, vi, data = es, method = "ML", tau2 = t)))
reml <- rma(yi, vi, data = es, method = "REML", control = ctrl)
out <- list(R = R.version.string, metafor = as.character(packageVersion("metafor")),
            xi = xi, ni = ni,
            call = "rma(yi, vi, data = escalc('PLO', xi = xi, ni = ni), method, control = list(threshold = 1e-12, maxiter = 1000))",
            ml = list(tau2 = ml$tau2, loglik = as.numeric(logLik(ml)), loglik_at_0 = ll_at(0),
                      interior_tau2 = 2.147, loglik_at_interior = ll_at(2.147)),
            reml = list(tau2 = reml$tau2, loglik = as.numeric(logLik(reml))))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), args[1])
