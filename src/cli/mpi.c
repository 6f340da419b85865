/* The MPI side of the commands (see mpi.h). */
#include "cli/mpi.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void cli_mpi_init(cli_mpi *m)
{
    m->rank = 0;
    m->size = 1;
    m->saved_out = m->saved_err = -1;
#ifdef BRACT_HAVE_MPI
    MPI_Comm_rank(cli_comm(), &m->rank);
    MPI_Comm_size(cli_comm(), &m->size);
    if (m->rank != 0) {
        fflush(stdout);
        fflush(stderr);
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0) {
            m->saved_out = dup(STDOUT_FILENO);
            m->saved_err = dup(STDERR_FILENO);
            dup2(null, STDOUT_FILENO);
            dup2(null, STDERR_FILENO);
            close(null);
        }
    }
#endif
}

void cli_mpi_done(cli_mpi *m)
{
    if (m->saved_out < 0)
        return;
    fflush(stdout);
    fflush(stderr);
    dup2(m->saved_out, STDOUT_FILENO);
    dup2(m->saved_err, STDERR_FILENO);
    close(m->saved_out);
    close(m->saved_err);
    m->saved_out = m->saved_err = -1;
}

#ifdef BRACT_HAVE_MPI
/* Rank 0 prints the message of the first failing rank (rank 0 is ok). */
static void report_failure(const cli_mpi *m, const cli_ctx *c, int ok)
{
    char msg[600] = "";
    if (!ok)
        snprintf(msg, sizeof msg, "%s", bract_last_error());
    char *every = m->rank == 0 ? malloc((size_t)m->size * sizeof msg) : NULL;
    int *oks = m->rank == 0 ? malloc((size_t)m->size * sizeof *oks) : NULL;
    MPI_Gather(msg, (int)sizeof msg, MPI_CHAR, every, (int)sizeof msg, MPI_CHAR, 0, cli_comm());
    MPI_Gather(&ok, 1, MPI_INT, oks, 1, MPI_INT, 0, cli_comm());
    if (m->rank == 0 && ok && every && oks)
        for (int k = 1; k < m->size; k++)
            if (!oks[k]) {
                cli_error(c, "rank %d: %s", k,
                          every[k * (int)sizeof msg] ? every + k * sizeof msg : "failed");
                break;
            }
    free(every);
    free(oks);
}
#endif

int cli_mpi_agree(const cli_mpi *m, const cli_ctx *c, int ok)
{
#ifdef BRACT_HAVE_MPI
    if (m->size > 1) {
        int all;
        MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, cli_comm());
        if (all)
            return 1;
        report_failure(m, c, ok);
        return 0;
    }
#else
    (void)m;
    (void)c;
#endif
    return ok;
}

int cli_mpi_gather(const cli_mpi *m, const size_t *bounds, size_t width, cli_mpi_type type,
                   const void *mine, void *all)
{
    size_t esize = type == CLI_MPI_DOUBLE ? sizeof(double) : 1;
#ifdef BRACT_HAVE_MPI
    if (m->size > 1) {
        int *cnt = malloc((size_t)m->size * sizeof *cnt);
        int *disp = malloc((size_t)m->size * sizeof *disp);
        int ok = cnt && disp;
        for (int k = 0; ok && k < m->size; k++) {
            size_t n = (bounds[k + 1] - bounds[k]) * width, at = bounds[k] * width;
            ok = n <= (size_t)INT32_MAX && at <= (size_t)INT32_MAX;
            if (ok) {
                cnt[k] = (int)n;
                disp[k] = (int)at;
            }
        }
        int every;
        MPI_Allreduce(&ok, &every, 1, MPI_INT, MPI_MIN, cli_comm());
        if (every) {
            MPI_Datatype t = type == CLI_MPI_DOUBLE ? MPI_DOUBLE : MPI_UNSIGNED_CHAR;
            MPI_Gatherv(mine, cnt[m->rank], t, all, cnt, disp, t, 0, cli_comm());
        }
        free(cnt);
        free(disp);
        return every ? BRACT_OK
                     : bract_error(BRACT_ENOMEM, "too many results to gather between ranks");
    }
#else
    (void)m;
#endif
    memcpy(all, mine, (bounds[1] - bounds[0]) * width * esize);
    return BRACT_OK;
}

void cli_mpi_first_failure(const cli_mpi *m, size_t *index, char *msg, size_t msgsize)
{
#ifdef BRACT_HAVE_MPI
    if (m->size > 1) {
        unsigned long long mine = *index, first;
        MPI_Allreduce(&mine, &first, 1, MPI_UNSIGNED_LONG_LONG, MPI_MIN, cli_comm());
        int holder = first != (unsigned long long)SIZE_MAX && mine == first ? m->rank : m->size;
        int who;
        MPI_Allreduce(&holder, &who, 1, MPI_INT, MPI_MIN, cli_comm());
        if (who < m->size && who != 0) {
            if (m->rank == who)
                MPI_Send(msg, (int)msgsize, MPI_CHAR, 0, 1, cli_comm());
            else if (m->rank == 0)
                MPI_Recv(msg, (int)msgsize, MPI_CHAR, who, 1, cli_comm(), MPI_STATUS_IGNORE);
        }
        *index = (size_t)first;
    }
#else
    (void)m;
    (void)index;
    (void)msg;
    (void)msgsize;
#endif
}

int cli_mpi_status(const cli_mpi *m, int status)
{
#ifdef BRACT_HAVE_MPI
    if (m->size > 1)
        MPI_Bcast(&status, 1, MPI_INT, 0, cli_comm());
#else
    (void)m;
#endif
    return status;
}
