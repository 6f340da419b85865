/* The MPI side of the commands that share work among ranks (bract
 * searchlight; the pipeline runner later): the ranks of cli_comm(), rank 0
 * speaking for all, agreement on success, gathering of results, the first
 * failure and the exit status.  Built without MPI (no BRACT_HAVE_MPI)
 * there is one rank and every function is trivial, so commands call them
 * unconditionally.  The library has no MPI: it works on ranges of items
 * that the command hands to each rank. */
#ifndef BRACT_CLI_MPI_H
#define BRACT_CLI_MPI_H

#include <stddef.h>

#include "cli/cli.h"

typedef struct {
    int rank, size;           /* of cli_comm() */
    int saved_out, saved_err; /* rank != 0: the silenced stdout and stderr */
} cli_mpi;

/* Rank and size of cli_comm(); ranks other than 0 write nothing to stdout
 * or stderr until cli_mpi_done (rank 0 reports for everyone: see
 * cli_mpi_agree). */
void cli_mpi_init(cli_mpi *m);

/* Give ranks other than 0 their stdout and stderr back. */
void cli_mpi_done(cli_mpi *m);

/* Collective: 1 when every rank is ok.  Otherwise 0 on every rank, and rank
 * 0, when it is itself ok, prints the message (bract_last_error()) of the
 * first rank that failed as "rank K: <message>" (a failing rank 0 prints
 * its own, as usual). */
int cli_mpi_agree(const cli_mpi *m, const cli_ctx *c, int ok);

typedef enum { CLI_MPI_DOUBLE, CLI_MPI_BYTE } cli_mpi_type;

/* Collective: rank 0 receives every rank's rows [bounds[k], bounds[k+1])
 * (bounds has size + 1 entries) of `width` elements each into `all`, in
 * rank order; `mine` holds the calling rank's rows.  `all` is used on rank
 * 0 only.  BRACT_ENOMEM with a message when the counts exceed MPI's int. */
int cli_mpi_gather(const cli_mpi *m, const size_t *bounds, size_t width, cli_mpi_type type,
                   const void *mine, void *all);

/* Collective: the first failing item over all ranks, each rank giving its
 * own (*index, SIZE_MAX for none, with its message in msg[msgsize]): on
 * return every rank has the smallest index and rank 0 that item's message. */
void cli_mpi_first_failure(const cli_mpi *m, size_t *index, char *msg, size_t msgsize);

/* Collective: rank 0's exit status, for every rank to return. */
int cli_mpi_status(const cli_mpi *m, int status);

#endif
