/* Non-local refinement of converged k-means solutions; see refine_tmpl.h. */
#include <math.h>
#include <string.h>

#include "core/rng.h"
#include "kmeans/kmeans_internal.h"

#define KM_F32
#include "kmeans/typed.h"
#include "kmeans/refine_tmpl.h"
#include "kmeans/typed_undef.h"

#define KM_F64
#include "kmeans/typed.h"
#include "kmeans/refine_tmpl.h"
#include "kmeans/typed_undef.h"
