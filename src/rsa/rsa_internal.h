/* Private helpers shared by the RSA modules (comparison engine, RSA
 * inference, RDMs, embeddings, LSA); never installed. */
#ifndef BRACT_RSA_INTERNAL_H
#define BRACT_RSA_INTERNAL_H

#include "bract/stats.h"

/* 1 if a null value reaches the observed one in the direction tested
 * (values within 1e-12 (1 + |observed|) count as reaching it). */
int bract_null_reaches(double null, double obs, bract_stats_alternative alt);

/* A name of an enum: names[v] is the name of value v (NULL-terminated
 * list, in value order).  Parsing sets *v to the index of s, or returns
 * BRACT_EINVAL with "unknown <what> '<s>' (expected one of a, b, c)". */
int bract_enum_lookup(const char *what, const char *s, const char *const *names, int *v);

#endif
