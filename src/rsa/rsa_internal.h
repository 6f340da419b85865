/* Private helpers shared by the comparison engine and the RSA inference
 * module; never installed. */
#ifndef BRACT_RSA_INTERNAL_H
#define BRACT_RSA_INTERNAL_H

#include "bract/stats.h"

/* 1 if a null value reaches the observed one in the direction tested
 * (values within 1e-12 (1 + |observed|) count as reaching it). */
int bract_null_reaches(double null, double obs, bract_alternative alt);

#endif
