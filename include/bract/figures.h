/* bract/figures.h: the figures library (libbract-figures): plots as PNG or
 * SVG and the self-contained HTML report of an output root.
 *
 * A separate library because it needs cairo and pango, which a program
 * that only computes (on a headless cluster node, say) should not have to
 * link: cc prog.c $(pkg-config --cflags --libs bract-figures). */
#ifndef BRACT_FIGURES_H
#define BRACT_FIGURES_H

#include "bract/bract.h"
#include "bract/plot.h"
#include "bract/report.h"

#endif
