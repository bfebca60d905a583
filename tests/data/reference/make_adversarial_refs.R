# Adversarial reference suite for jakisynth's tau2 estimators and GLMM (issue 16).
# Usage (from tests/data/reference/):  Rscript make_adversarial_refs.R adversarial_refs.json
# Data sets are generated here, deterministically (set.seed below; R >= 3.6 sampling), plus the
# named cases of issue 16. Per set:
#   iv:   for measure in PLO, PFT and method in REML, DL, PM, ML, EB, SJ, HE, HS:
#         rma(yi, vi, data = escalc(measure, xi = xi, ni = ni), method = method,
#             control = list(threshold = 1e-12, tol = 1e-12, maxiter = 10000))
#         -> tau2, est, se, logLik (ML/REML), or the error message
#   glmm: rma.glmm(measure = "PLO", xi = xi, ni = ni, method = "ML")      (metafor defaults, nAGQ 7)
#         glmer(cbind(xi, ni - xi) ~ 1 + (1 | study), family = binomial, nAGQ = 7,
#               control = glmerControl(optimizer = "bobyqa", optCtrl = list(rhobeg = 0.02,
#               rhoend = 1e-12, maxfun = 1e5), tolPwrss = 1e-12))            ("tight")
suppressMessages({library(metafor); library(lme4); library(jsonlite)})
args <- commandArgs(TRUE)
set.seed(16016)
gen <- function(i) {
  kind <- c("edge", "hetero", "homog", "tiny")[(i - 1) %% 4 + 1]
  k <- if (kind == "tiny") 2L else sample(2:8, 1)
  n <- if (kind == "tiny") sample(1:5, k, replace = TRUE) else sample(1:80, k, replace = TRUE)
  if (kind == "edge") {
    p <- plogis(rnorm(k, rnorm(1, 0, 1.5), 1.5))
    x <- rbinom(k, n, p)
    ext <- runif(k) < 0.5
    x[ext] <- ifelse(runif(sum(ext)) < 0.5, 0L, n[ext])
  } else if (kind == "hetero") {
    x <- rbinom(k, n, plogis(rnorm(k, rnorm(1, 0, 1.5), 4)))
  } else if (kind == "homog") {
    x <- rbinom(k, n, runif(1, 0.85, 0.99))
  } else {
    x <- rbinom(k, n, runif(1))
  }
  list(kind = kind, xi = as.integer(x), ni = as.integer(n))
}
sets <- lapply(1:120, gen)
names(sets) <- sprintf("adv%03d", 1:120)
sets$issue16_ml_bimodal <- list(kind = "named", xi = c(0, 11, 14, 1, 28, 7, 0),
                                ni = c(79, 30, 14, 1, 60, 16, 1))
sets$issue16_glmm_wide <- list(kind = "named", xi = c(0, 10, 1, 20), ni = c(20, 10, 30, 20))
sets$issue16_reml_hang <- list(kind = "named", xi = c(470000000000000, 8),
                               ni = c(530000000000000, 8))
sets$all_zero <- list(kind = "named", xi = c(0, 0, 0), ni = c(5, 12, 1))
sets$all_full <- list(kind = "named", xi = c(4, 1, 30), ni = c(4, 1, 30))
ctrl <- list(threshold = 1e-12, tol = 1e-12, maxiter = 10000)
num <- function(x) if (is.null(x) || length(x) == 0 || is.na(x)) NULL else unname(as.numeric(x))
out_sets <- list()
for (nm in names(sets)) {
  s <- sets[[nm]]
  iv <- list()
  for (m in c("PLO", "PFT")) {
    es <- escalc(measure = m, xi = s$xi, ni = s$ni)
    for (meth in c("REML", "DL", "PM", "ML", "EB", "SJ", "HE", "HS")) {
      r <- tryCatch(rma(yi, vi, data = es, method = meth, control = ctrl),
                    error = function(e) conditionMessage(e))
      iv[[paste(m, meth, sep = "_")]] <- if (is.character(r)) list(error = r) else list(
        tau2 = num(r$tau2), est = num(r$b[1]), se = num(r$se),
        logLik = if (meth %in% c("ML", "REML")) num(logLik(r)) else NULL)
    }
  }
  glmm <- NULL
  if (nm != "issue16_reml_hang") {
    g <- tryCatch(withCallingHandlers(rma.glmm(measure = "PLO", xi = s$xi, ni = s$ni, method = "ML"),
                                      warning = function(w) invokeRestart("muffleWarning")),
                  error = function(e) conditionMessage(e))
    d <- data.frame(xi = s$xi, ni = s$ni, study = factor(seq_along(s$xi)))
    msgs <- character(0)
    t <- tryCatch(withCallingHandlers(glmer(cbind(xi, ni - xi) ~ 1 + (1 | study), data = d,
      family = binomial, nAGQ = 7, control = glmerControl(optimizer = "bobyqa",
      optCtrl = list(rhobeg = 0.02, rhoend = 1e-12, maxfun = 1e5), tolPwrss = 1e-12)),
      warning = function(w) { msgs <<- c(msgs, conditionMessage(w)); invokeRestart("muffleWarning") }),
      error = function(e) conditionMessage(e))
    glmm <- list(
      metafor = if (is.character(g)) list(error = g) else list(est = num(g$b[1]), se = num(g$se),
        ci_lb = num(g$ci.lb), ci_ub = num(g$ci.ub), tau2 = num(g$tau2)),
      tight = if (is.character(t)) list(error = t) else list(beta = num(fixef(t)[1]),
        sigma = num(getME(t, "theta")[1]), se = num(sqrt(vcov(t)[1, 1])),
        deviance = num(deviance(t)), warnings = msgs))
  }
  out_sets[[nm]] <- list(kind = s$kind, xi = s$xi, ni = s$ni, iv = iv, glmm = glmm)
}
out <- list(R = R.version.string, metafor = as.character(packageVersion("metafor")),
            lme4 = as.character(packageVersion("lme4")), seed = 16016,
            calls = list(
              iv = 'rma(yi, vi, data = escalc(measure, xi = xi, ni = ni), method = method, control = list(threshold = 1e-12, tol = 1e-12, maxiter = 10000))',
              glmm_metafor = 'rma.glmm(measure = "PLO", xi = xi, ni = ni, method = "ML")',
              glmm_tight = 'glmer(cbind(xi, ni - xi) ~ 1 + (1 | study), family = binomial, nAGQ = 7, control = glmerControl(optimizer = "bobyqa", optCtrl = list(rhobeg = 0.02, rhoend = 1e-12, maxfun = 1e5), tolPwrss = 1e-12))'),
            sets = out_sets)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE, null = "null"), args[1])
