/*
 * What `strata gen` writes about its own model: the column layout of /accounts (names, which
 * columns are categorical, the level names of each) and everything per segment on /truth, so
 * that a test or an analysis can compare estimates with the truth without knowing the command
 * line. datasets/customer_base.md lists the layout.
 */
#ifndef STRATA_GEN_TRUTH_H
#define STRATA_GEN_TRUTH_H

#include "gen/model.h"

/* /accounts/feature_names, the categorical="..." attribute of /accounts/features (which must
 * exist) and /accounts/levels/<column> for every categorical column. */
strata_status gen_truth_write_columns(strata_ctx *ctx, strata_h5_writer *w, const gen_model *m);

/* The per-segment datasets and the attributes of /truth (which the per-account datasets have
 * already created). `transactions` is the number written; `bayes_accuracy` the share of
 * accounts whose most probable segment given their features is their own. */
strata_status gen_truth_write_segments(strata_ctx *ctx, strata_h5_writer *w,
                                       const strata_gen_params *p, const gen_model *m,
                                       int64_t transactions, double bayes_accuracy);

#endif
