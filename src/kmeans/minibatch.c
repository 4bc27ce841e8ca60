/* Mini-batch k-means for float and double data; see minibatch_tmpl.h. */
#include <math.h>
#include <string.h>

#include "core/driver.h"
#include "core/rng.h"
#include "kmeans/kmeans_internal.h"

#define KM_F32
#include "kmeans/typed.h"
#include "kmeans/minibatch_tmpl.h"
#include "kmeans/typed_undef.h"

#define KM_F64
#include "kmeans/typed.h"
#include "kmeans/minibatch_tmpl.h"
#include "kmeans/typed_undef.h"
