# Reference values for jakisynth's GLMM (src/jakisynth/glmm.py, tests/test_glmm.py).
# Usage (from tests/data/):  Rscript make_metafor_glmm.R metafor_glmm.json
# Per case: metafor::rma.glmm(measure = "PLO", xi, ni, method = "ML", nAGQ) -- which calls
#   lme4::glmer(cbind(xi, ni - xi) ~ 1 + (1 | study), family = binomial, nAGQ) --
# giving est, se, ci_lb, ci_ub, prop (plogis), prop_ci_lb, prop_ci_ub, tau2; and the same glmer
# call made directly with a tight optimiser (bobyqa rhoend = 1e-12) giving `tight`: beta, sigma,
# se (vcov(use.hessian = TRUE)), se_rx (vcov(use.hessian = FALSE)), logLik and deviance.
suppressMessages({library(metafor); library(lme4); library(jsonlite)})
args <- commandArgs(TRUE)
cases <- list(
  pritz1997 = list(xi = c(16, 10, 4, 43, 10, 25, 13, 12, 22, 4, 5, 18, 58, 6),
                   ni = c(17, 12, 8, 58, 10, 42, 14, 12, 41, 5, 6, 23, 68, 10)),
  debruin2009 = list(xi = c(11, 24, 179, 82, 60, 11, 99, 9, 88, 17, 26, 23, 40),
                     ni = c(29, 33, 326, 240, 110, 29, 244, 17, 215, 26, 138, 55, 54)),
  edge_zero_events = list(xi = c(0, 2, 1, 5), ni = c(10, 15, 8, 20)),
  edge_all_events = list(xi = c(10, 8, 12), ni = c(10, 8, 13)),
  k2 = list(xi = c(4, 11), ni = c(20, 14)),
  k2_boundary = list(xi = c(5, 7), ni = c(10, 12)),
  mixed_full = list(xi = c(3, 12, 6, 29, 47), ni = c(3, 12, 11, 30, 53)),
  heterogeneous = list(xi = c(1, 9, 2, 14, 30, 0, 7), ni = c(25, 10, 30, 15, 31, 12, 9)))
runs <- list()
for (nm in names(cases)) for (q in c(7, 1, 15)) {
  if (q != 7 && !(nm %in% c("pritz1997", "debruin2009", "mixed_full", "heterogeneous"))) next
  s <- cases[[nm]]
  g <- tryCatch(suppressWarnings(rma.glmm(measure = "PLO", xi = s$xi, ni = s$ni, method = "ML",
    nAGQ = q)), error = function(e) conditionMessage(e))
  d <- data.frame(xi = s$xi, ni = s$ni, study = factor(seq_along(s$xi)))
  m <- suppressWarnings(glmer(cbind(xi, ni - xi) ~ 1 + (1 | study), data = d, family = binomial,
    nAGQ = q, control = glmerControl(optimizer = "bobyqa",
      optCtrl = list(rhobeg = 0.02, rhoend = 1e-12, maxfun = 1e5), tolPwrss = 1e-12)))
  runs[[paste0(nm, "_agq", q)]] <- list(
    case = nm, xi = s$xi, ni = s$ni, nAGQ = q,
    call = sprintf('rma.glmm(measure = "PLO", xi = c(%s), ni = c(%s), method = "ML", nAGQ = %d)',
                   paste(s$xi, collapse = ", "), paste(s$ni, collapse = ", "), q),
    metafor = if (is.character(g)) list(error = g) else list(est = unname(g$b[1]), se = g$se, ci_lb = g$ci.lb, ci_ub = g$ci.ub,
                   prop = plogis(unname(g$b[1])), prop_ci_lb = plogis(g$ci.lb),
                   prop_ci_ub = plogis(g$ci.ub), tau2 = g$tau2),
    tight = list(beta = unname(fixef(m)[1]), sigma = unname(getME(m, "theta")[1]),
                 se = sqrt(suppressWarnings(vcov(m, use.hessian = TRUE))[1, 1]),
                 se_rx = sqrt(suppressWarnings(vcov(m, use.hessian = FALSE))[1, 1]),
                 logLik = as.numeric(logLik(m)), deviance = deviance(m)))
}
out <- list(R = R.version.string, metafor = as.character(packageVersion("metafor")),
            lme4 = as.character(packageVersion("lme4")), runs = runs)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), args[1])
