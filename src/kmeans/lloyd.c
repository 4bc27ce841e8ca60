/* Lloyd's algorithm and the shared assignment/update steps, for float and double data. */
#include <math.h>
#include <string.h>

#include "core/driver.h"
#include "kmeans/kmeans_internal.h"

#define KM_F32
#include "kmeans/typed.h"
#include "kmeans/lloyd_tmpl.h"
#include "kmeans/typed_undef.h"

#define KM_F64
#include "kmeans/typed.h"
#include "kmeans/lloyd_tmpl.h"
#include "kmeans/typed_undef.h"
