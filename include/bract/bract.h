/* bract/bract.h: the whole public API of libbract.
 *
 * bract (Brain Representations, Activity, Connectivity and Timescales):
 * representational similarity analysis, dynamic functional connectivity
 * and intrinsic timescales for fMRI data in NIfTI. */
#ifndef BRACT_BRACT_H
#define BRACT_BRACT_H

#include "bract/error.h"
#include "bract/core.h"
#include "bract/progress.h"
#include "bract/output.h"
#include "bract/table.h"
#include "bract/sidecar.h"
#include "bract/rng.h"
#include "bract/volume.h"
#include "bract/rdmset.h"
#include "bract/stats.h"
#include "bract/tseries.h"
#include "bract/rdm.h"
#include "bract/patterns.h"
#include "bract/embed.h"
#include "bract/lsa.h"

#endif
