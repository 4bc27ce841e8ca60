/* Initial centres (greedy k-means++, k-means||, weighted random rows) for float and double
 * data. */
#include <math.h>
#include <omp.h>
#include <string.h>

#include "core/driver.h"
#include "core/rng.h"
#include "kmeans/kmeans_internal.h"
#include "kmeans/top_keys.h"

#define KM_F32
#include "kmeans/typed.h"
#include "kmeans/init_tmpl.h"
#include "kmeans/init_parallel_tmpl.h"
#include "kmeans/typed_undef.h"

#define KM_F64
#include "kmeans/typed.h"
#include "kmeans/init_tmpl.h"
#include "kmeans/init_parallel_tmpl.h"
#include "kmeans/typed_undef.h"
