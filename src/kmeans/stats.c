/* Data checks and the tolerance scale of k-means, for float and double data. */
#include <math.h>

#include "core/driver.h"
#include "kmeans/kmeans_internal.h"

#define KM_F32
#include "kmeans/typed.h"
#include "kmeans/stats_tmpl.h"
#include "kmeans/typed_undef.h"

#define KM_F64
#include "kmeans/typed.h"
#include "kmeans/stats_tmpl.h"
#include "kmeans/typed_undef.h"
