/* bract/bract.h: the whole public API of libbract.
 *
 * bract (Brain Representations, Activity, Connectivity and Timescales):
 * representational similarity analysis, dynamic functional connectivity
 * and intrinsic timescales for fMRI data in NIfTI.
 *
 * This is the compute library (link -lbract, pkg-config bract).  Figures
 * and the HTML report are a separate library that needs cairo and pango:
 * bract/figures.h, -lbract-figures, pkg-config bract-figures. */
#ifndef BRACT_BRACT_H
#define BRACT_BRACT_H

#include "bract/error.h"
#include "bract/core.h"
#include "bract/progress.h"
#include "bract/output.h"
#include "bract/table.h"
#include "bract/tsv.h"
#include "bract/sidecar.h"
#include "bract/rng.h"
#include "bract/volume.h"
#include "bract/mask.h"
#include "bract/atlas.h"
#include "bract/rdmset.h"
#include "bract/stats.h"
#include "bract/tseries.h"
#include "bract/filter.h"
#include "bract/clean.h"
#include "bract/extract.h"
#include "bract/compare.h"
#include "bract/rsa.h"
#include "bract/simrsa.h"
#include "bract/acf.h"
#include "bract/timescale.h"
#include "bract/hierarchy.h"
#include "bract/tausim.h"
#include "bract/cluster.h"
#include "bract/tfce.h"
#include "bract/group.h"
#include "bract/npy.h"
#include "bract/glasso.h"
#include "bract/dfc.h"
#include "bract/kmeans.h"
#include "bract/states.h"
#include "bract/community.h"
#include "bract/surrogate.h"
#include "bract/dfcsim.h"
#include "bract/mds.h"
#include "bract/rdm.h"
#include "bract/patterns.h"
#include "bract/embed.h"
#include "bract/searchlight.h"
#include "bract/lsa.h"
#include "bract/events.h"
#include "bract/hrf.h"
#include "bract/nuisance.h"
#include "bract/glm.h"
#include "bract/hrflib.h"
#include "bract/fracridge.h"
#include "bract/glmdenoise.h"
#include "bract/single.h"

#endif
