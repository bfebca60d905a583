# Extra reference values for jakisynth's tests, computed with R (stats) and metafor.
# Usage: Rscript make_extra_refs.R extra_refs.json
suppressMessages({library(metafor); library(jsonlite)})
args <- commandArgs(TRUE)
out <- list(metafor = as.character(packageVersion("metafor")), R = R.version.string)

# Fisher's exact test, r x c (Liu 2024 Table 2, strata as columns) and 2 x c
fisher <- function(m) unname(fisher.test(m)$p.value)
out$fisher <- list(
  organs = list(table = list(c(2, 11, 2), c(1, 8, 5), c(8, 11, 5)),
                p = fisher(rbind(c(2, 11, 2), c(1, 8, 5), c(8, 11, 5)))),
  tofacitinib_dose = list(table = list(c(1, 9, 3), c(9, 21, 9), c(1, 0, 0)),
                          p = fisher(rbind(c(1, 9, 3), c(9, 21, 9), c(1, 0, 0)))),
  line = list(table = list(c(3, 13, 5), c(7, 15, 6), c(1, 2, 1)),
              p = fisher(rbind(c(3, 13, 5), c(7, 15, 6), c(1, 2, 1)))),
  tocilizumab = list(table = list(c(2, 0, 0), c(9, 30, 12)),
                     p = fisher(rbind(c(2, 0, 0), c(9, 30, 12)))))

# Wilcoxon tests (Beckett 2024 Table 1 CDASI/MMT8), paired and unpaired, R's defaults
w <- function(x, y, ...) unname(suppressWarnings(wilcox.test(x, y, ...))$p.value)
cdm_pre <- c(12, 7, 27, 50, 2); cdm_cur <- c(4, 1, 5, 31, 0)
mmt_pre <- c(126, 150, 150, 127, 150); mmt_cur <- c(150, 150, 150, 131, 150)
adm_pre <- c(8, 9, 14); adm_cur <- c(1, 0, 7)
out$wilcoxon <- list(
  cdm_cdasi = list(before = cdm_pre, after = cdm_cur,
                   paired = w(cdm_cur, cdm_pre, paired = TRUE), unpaired = w(cdm_pre, cdm_cur)),
  cdm_mmt8 = list(before = mmt_pre, after = mmt_cur,
                  paired = w(mmt_cur, mmt_pre, paired = TRUE), unpaired = w(mmt_pre, mmt_cur)),
  adm_cdasi = list(before = adm_pre, after = adm_cur,
                   paired = w(adm_cur, adm_pre, paired = TRUE), unpaired = w(adm_pre, adm_cur)),
  dm_cdasi = list(before = c(cdm_pre, adm_pre), after = c(cdm_cur, adm_cur),
                  paired = w(c(cdm_cur, adm_cur), c(cdm_pre, adm_pre), paired = TRUE),
                  unpaired = w(c(cdm_pre, adm_pre), c(cdm_cur, adm_cur))))

# quantile types 1..9
x <- c(2, 7, 8, 9, 12, 14, 27, 50)
out$quantiles <- list(x = x, q25 = sapply(1:9, function(t) unname(quantile(x, 0.25, type = t))),
                      q75 = sapply(1:9, function(t) unname(quantile(x, 0.75, type = t))))

# GLMM on the seed series and variants; nAGQ 1 and 15 on pritz1997
g <- function(xi, ni, nAGQ = 7) {
  r <- suppressWarnings(rma.glmm(measure = "PLO", xi = xi, ni = ni, method = "ML", nAGQ = nAGQ))
  list(xi = xi, ni = ni, nAGQ = nAGQ, est = unname(r$b[1]), se = r$se, ci_lb = r$ci.lb,
       ci_ub = r$ci.ub, tau2 = r$tau2)
}
data(dat.pritz1997, package = "metadat")
out$glmm <- list(seeds = g(c(3, 8, 47), c(3, 8, 53)),
                 seeds_continuation = g(c(3, 9, 47), c(3, 10, 53)),
                 strata = g(c(3, 5, 3, 6, 29, 12), c(3, 5, 3, 11, 30, 12)),
                 pritz_laplace = g(dat.pritz1997$xi, dat.pritz1997$ni, 1),
                 pritz_agq15 = g(dat.pritz1997$xi, dat.pritz1997$ni, 15))

# leave-one-out and cumulative on pritz1997 (PLO, REML)
es <- escalc(measure = "PLO", xi = xi, ni = ni, data = dat.pritz1997)
res <- rma(yi, vi, data = es, control = list(threshold = 1e-12, maxiter = 10000))
l1 <- leave1out(res); cu <- cumul(res)
out$leave1out <- list(est = unname(l1$estimate), tau2 = unname(l1$tau2), ci_lb = unname(l1$ci.lb))
out$cumul <- list(est = unname(cu$estimate), tau2 = unname(cu$tau2))
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA), args[1])
