# src/clv: customer-lifetime-value models.
#  - NLopt: the maximum-likelihood optimisers (LD_LBFGS, LN_BOBYQA).
#  - GSL: not called by the library; linked PUBLIC so that the CLV tests (which check the
#    closed forms against GSL's quadrature and 2F1) get it through strata_lib.
pkg_check_modules(NLOPT REQUIRED IMPORTED_TARGET nlopt)
pkg_check_modules(GSL REQUIRED IMPORTED_TARGET gsl)
target_link_libraries(strata_lib PUBLIC PkgConfig::NLOPT PkgConfig::GSL)
#  - SLEEF: vectorised log, log1p and exp of the scoring kernels (kernels/clv_*.c).
pkg_check_modules(SLEEF REQUIRED IMPORTED_TARGET sleef)
target_link_libraries(strata_lib PUBLIC PkgConfig::SLEEF)
