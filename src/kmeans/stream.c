/* Out-of-core exact Lloyd for float and double data; see stream_tmpl.h. */
#include <math.h>
#include <string.h>

#include "core/driver.h"
#include "core/rng.h"
#include "kmeans/kmeans_internal.h"

#define KM_F32
#include "kmeans/typed.h"
#include "kmeans/stream_tmpl.h"
#include "kmeans/typed_undef.h"

#define KM_F64
#include "kmeans/typed.h"
#include "kmeans/stream_tmpl.h"
#include "kmeans/typed_undef.h"
