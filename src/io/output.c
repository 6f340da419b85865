/* Atomic output files: temporary in the target directory, then rename. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* F_OFD_SETLK */
#endif
#include "base/internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json.h>
#include "bract/sidecar.h"

struct bract_output {
    char *path;  /* final name */
    char *tmp;   /* temporary name (NULL for stdout) */
    FILE *fp;
    int fd;      /* from open(), until fp takes it over */
    int lockfd;  /* holds the temporary's lock until it is renamed or removed */
};

/* Extensions kept at the end of temporary names, longest first. */
static const char *const known_ext[] = {
    ".nii.gz", ".tsv.gz", ".csv.gz", ".npy.gz", ".json.gz", ".nii", ".tsv", ".csv",
    ".npy", ".json", ".h5", ".hdf5", ".html", ".png", ".svg", ".txt", ".gz", NULL};

static size_t ext_len(const char *base)
{
    for (const char *const *e = known_ext; *e; e++)
        if (bract_ends_with(base, *e) && strlen(base) > strlen(*e))
            return strlen(*e);
    const char *dot = strrchr(base, '.');
    return (dot && dot != base) ? strlen(dot) : 0;
}

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return bract_xstrdup(".");
    if (slash == path)
        return bract_xstrdup("/");
    char *d = bract_xmalloc((size_t)(slash - path) + 1, 1, "a directory name");
    if (d) {
        memcpy(d, path, (size_t)(slash - path));
        d[slash - path] = '\0';
    }
    return d;
}

/* 1 if `path` is a regular file holding a sidecar bract wrote (its
 * GeneratedBy names bract). */
static int is_bract_sidecar(const char *path, const struct stat *st)
{
    if (!S_ISREG(st->st_mode) || st->st_size > (16 << 20))
        return 0;
    json_object *root = json_object_from_file(path), *gen, *tool, *name;
    int yes = root && json_object_object_get_ex(root, "GeneratedBy", &gen) &&
              json_object_is_type(gen, json_type_array) && json_object_array_length(gen) > 0 &&
              (tool = json_object_array_get_idx(gen, 0)) != NULL &&
              json_object_object_get_ex(tool, "Name", &name) &&
              json_object_is_type(name, json_type_string) &&
              strcmp(json_object_get_string(name), "bract") == 0;
    json_object_put(root);
    return yes;
}

/* Whether something is at `path`, by lstat: a symbolic link, even a
 * dangling one, is there (and is replaced, never written through, with
 * --force).  Directories, or links to them, are an error.  For a sidecar
 * path (`of` names its output), a sidecar bract wrote is free: it records
 * an output of the same name (x.tsv after x.h5, a figure's .png after its
 * .svg) and is rewritten with the output, as before; any other file there
 * is someone else's. */
static int check_free(const char *path, const char *of, int force)
{
    struct stat st, target;
    if (lstat(path, &st) != 0)
        return BRACT_OK;
    int link = S_ISLNK(st.st_mode);
    if (S_ISDIR(st.st_mode) || (link && stat(path, &target) == 0 && S_ISDIR(target.st_mode)))
        return bract_error(BRACT_EIO, "%s: is a directory, expected a file name", path);
    if (force || (of && !link && is_bract_sidecar(path, &st)))
        return BRACT_OK;
    if (of)
        return bract_error(BRACT_EEXIST,
                           "%s: exists and is not a sidecar bract wrote (the sidecar of %s would "
                           "replace it; use --force to overwrite)",
                           path, of);
    if (link)
        return bract_error(BRACT_EEXIST,
                           "%s: exists (a symbolic link; use --force to replace the link)", path);
    return bract_error(BRACT_EEXIST, "%s: exists (use --force to overwrite)", path);
}

/* Lock a whole temporary file for writing, without waiting: 0, or -1 when
 * another writer holds it.  An open-file-description lock (Linux), which
 * neither other descriptors of the file closing (nifticlib and libhdf5
 * write the temporary by name) nor their own flock() locks (libhdf5
 * locks the files it creates) disturb; a POSIX record lock elsewhere. */
static int lock_temporary(int fd)
{
    struct flock l;
    memset(&l, 0, sizeof l);
    l.l_type = F_WRLCK;
    l.l_whence = SEEK_SET;
#ifdef F_OFD_SETLK
    return fcntl(fd, F_OFD_SETLK, &l) == 0 ? 0 : -1;
#else
    return fcntl(fd, F_SETLK, &l) == 0 ? 0 : -1;
#endif
}

/* Whether name is a temporary ".STEM.bract-XXXXXX<EXT>": of the given
 * stem and extension, or any (stem NULL) with an extension or none. */
static int is_temporary(const char *name, const char *stem, size_t stemlen, const char *ext)
{
    const char *t;
    if (name[0] != '.')
        return 0;
    if (stem) {
        if (strncmp(name + 1, stem, stemlen) != 0 || strncmp(name + 1 + stemlen, ".bract-", 7))
            return 0;
        t = name + 1 + stemlen + 7;
    } else {
        const char *b = strstr(name + 1, ".bract-");
        if (!b || b == name + 1)
            return 0;
        t = b + 7;
    }
    for (int i = 0; i < 6; i++)
        if (!((t[i] >= 'a' && t[i] <= 'z') || (t[i] >= '0' && t[i] <= '9')))
            return 0;
    return stem ? strcmp(t + 6, ext) == 0 : (t[6] == '\0' || t[6] == '.');
}

/* Remove the temporaries in dir that no live writer holds: a writer keeps
 * an exclusive lock (flock) on its temporary until it renames or removes
 * it, and the lock goes with the process, so a temporary we can lock is
 * what a killed writer left. */
static void clean_dir(const char *dir, const char *stem, size_t stemlen, const char *ext)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    size_t dl = strlen(dir);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!is_temporary(e->d_name, stem, stemlen, ext))
            continue;
        size_t n = dl + strlen(e->d_name) + 2;
        char *full = malloc(n);
        if (!full)
            break;
        snprintf(full, n, "%s/%s", dir, e->d_name);
        struct stat st;
        int fd = lstat(full, &st) == 0 && S_ISREG(st.st_mode)
                     ? open(full, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
                     : -1;
        if (fd >= 0 && lock_temporary(fd) == 0)
            unlink(full);
        if (fd >= 0)
            close(fd);
        free(full);
    }
    closedir(d);
}

void bract_output_clean(const char *path)
{
    if (!path || !*path || strcmp(path, "-") == 0)
        return;
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    size_t el = ext_len(base);
    char *dir = dir_of(path);
    if (dir)
        clean_dir(dir, base, strlen(base) - el, base + strlen(base) - el);
    free(dir);
}

void bract_output_clean_dir(const char *dir)
{
    if (dir && *dir)
        clean_dir(dir, NULL, 0, NULL);
}

int bract_output_leftover(const char *path, const char *primary)
{
    struct stat st;
    if (!path || !primary || strcmp(path, "-") == 0 || lstat(primary, &st) == 0 ||
        lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return 0;
    char *side = bract_sidecar_path(path);
    int yes = side && strcmp(side, path) != 0 && lstat(side, &st) == 0 &&
              is_bract_sidecar(side, &st);
    free(side);
    return yes;
}

int bract_output_drop_leftover(const char *path, const char *primary)
{
    if (!bract_output_leftover(path, primary))
        return 0;
    char *side = bract_sidecar_path(path);
    unlink(path);
    if (side)
        unlink(side);
    free(side);
    return 1;
}

int bract_output_check(const char *path, int force)
{
    if (!path || !*path)
        return bract_error(BRACT_EINVAL, "no output file name given");
    if (strcmp(path, "-") == 0)
        return BRACT_OK;
    int rc = check_free(path, NULL, force);
    if (rc)
        return rc;
    /* the sidecar every output gets is an output too: a user's file there
     * is not replaced without --force (a .json path is itself a sidecar) */
    if (!bract_ends_with(path, ".json")) {
        char *side = bract_sidecar_path(path);
        if (!side)
            return BRACT_ENOMEM;
        const char *slash = strrchr(path, '/');
        rc = check_free(side, slash ? slash + 1 : path, force);
        free(side);
        if (rc)
            return rc;
    }
    char *dir = dir_of(path);
    if (!dir)
        return BRACT_ENOMEM;
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        rc = bract_error(BRACT_EIO, "%s: directory %s does not exist", path, dir);
    else if (access(dir, W_OK) != 0)
        rc = bract_error(BRACT_EIO, "%s: directory %s is not writable", path, dir);
    free(dir);
    return rc;
}

int bract_output_not_input(const char *out, const char *const *inputs, size_t n)
{
    struct stat so, si;
    if (!out || strcmp(out, "-") == 0 || stat(out, &so) != 0)
        return BRACT_OK;
    for (size_t i = 0; i < n; i++) {
        if (inputs[i] && stat(inputs[i], &si) == 0 && si.st_dev == so.st_dev &&
            si.st_ino == so.st_ino)
            return bract_error(BRACT_EINVAL,
                               "output %s is the input %s: refusing to overwrite an input",
                               out, inputs[i]);
    }
    return BRACT_OK;
}

int bract_output_open(const char *path, int force, bract_output **out)
{
    *out = NULL;
    int rc = bract_output_check(path, force);
    if (rc)
        return rc;
    bract_output *o = bract_xcalloc(1, sizeof *o, "an output file");
    if (!o)
        return BRACT_ENOMEM;
    o->fd = -1;
    o->lockfd = -1;
    o->path = bract_xstrdup(path);
    if (!o->path) {
        free(o);
        return BRACT_ENOMEM;
    }
    if (strcmp(path, "-") == 0) {
        o->fp = stdout;
        *out = o;
        return BRACT_OK;
    }
    bract_output_clean(path); /* what a killed writer of path left */
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    size_t dirlen = (size_t)(base - path), el = ext_len(base);
    size_t stemlen = strlen(base) - el;
    size_t cap = strlen(path) + 32;
    o->tmp = bract_xmalloc(cap, 1, "a temporary file name");
    if (!o->tmp) {
        free(o->path);
        free(o);
        return BRACT_ENOMEM;
    }
    /* Unique name: pid, clock and attempt mixed; O_EXCL guarantees it. */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t h = (uint64_t)getpid() * 0x9E3779B97F4A7C15ull ^ (uint64_t)ts.tv_nsec ^
                 ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)(uintptr_t)o;
    static const char alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    for (int attempt = 0; attempt < 100; attempt++) {
        char rnd[7];
        uint64_t x = h + (uint64_t)attempt * 0xD1B54A32D192ED03ull;
        for (int i = 0; i < 6; i++) {
            x ^= x >> 29;
            x *= 0xBF58476D1CE4E5B9ull;
            rnd[i] = alnum[x % 36];
        }
        rnd[6] = '\0';
        snprintf(o->tmp, cap, "%.*s.%.*s.bract-%s%s", (int)dirlen, path, (int)stemlen, base,
                 rnd, base + stemlen);
        o->fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL, 0666);
        if (o->fd >= 0 || errno != EEXIST)
            break;
    }
    /* the lock says a live writer owns the temporary (see clean_dir) */
    if (o->fd >= 0 && (o->lockfd = dup(o->fd)) >= 0)
        lock_temporary(o->lockfd);
    if (o->fd < 0) {
        rc = bract_error(BRACT_EIO, "%s: cannot create temporary file %s: %s", path, o->tmp,
                         strerror(errno));
        free(o->tmp);
        free(o->path);
        free(o);
        return rc;
    }
    *out = o;
    return BRACT_OK;
}

const char *bract_output_tmppath(const bract_output *o) { return o->tmp; }

FILE *bract_output_stream(bract_output *o)
{
    if (!o->fp && o->fd >= 0) {
        o->fp = fdopen(o->fd, "w");
        if (o->fp)
            o->fd = -1;
        else
            bract_error(BRACT_EIO, "%s: cannot open a stream: %s", o->tmp, strerror(errno));
    }
    return o->fp;
}

static void outfile_free(bract_output *o)
{
    if (o->lockfd >= 0)
        close(o->lockfd);
    free(o->tmp);
    free(o->path);
    free(o);
}

int bract_output_commit(bract_output *o)
{
    int rc = BRACT_OK;
    if (!o->tmp) { /* stdout */
        if (fflush(stdout) != 0)
            rc = bract_error(BRACT_EIO, "writing to standard output failed: %s", strerror(errno));
        outfile_free(o);
        return rc;
    }
    if (o->fp) {
        int bad = ferror(o->fp);
        if (fclose(o->fp) != 0 || bad)
            rc = bract_error(BRACT_EIO, "%s: write failed: %s", o->path, strerror(errno));
        o->fp = NULL;
    } else if (o->fd >= 0) {
        close(o->fd);
        o->fd = -1;
    }
    if (!rc && rename(o->tmp, o->path) != 0)
        rc = bract_error(BRACT_EIO, "%s: cannot rename %s into place: %s", o->path, o->tmp,
                         strerror(errno));
    if (rc)
        unlink(o->tmp);
    outfile_free(o);
    return rc;
}

void bract_output_abort(bract_output *o)
{
    if (!o)
        return;
    if (o->tmp) {
        if (o->fp)
            fclose(o->fp);
        else if (o->fd >= 0)
            close(o->fd);
        unlink(o->tmp);
    }
    outfile_free(o);
}

int bract_output_write_atomic(const char *path, const void *data, size_t len, int force)
{
    bract_output *o;
    int rc = bract_output_open(path, force, &o);
    if (rc)
        return rc;
    FILE *fp = bract_output_stream(o);
    if (!fp || fwrite(data, 1, len, fp) != len) {
        rc = bract_error(BRACT_EIO, "%s: write failed: %s", path, strerror(errno));
        bract_output_abort(o);
        return rc;
    }
    return bract_output_commit(o);
}

int bract_output_make_dir(const char *dir, int *created)
{
    if (created)
        *created = 0;
    if (!dir || !*dir)
        return bract_error(BRACT_EINVAL, "no directory name given");
    struct stat st;
    if (stat(dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            return bract_error(BRACT_EIO, "%s exists and is not a directory", dir);
        return BRACT_OK;
    }
    if (lstat(dir, &st) == 0 && S_ISLNK(st.st_mode))
        return bract_error(BRACT_EIO, "%s is a symbolic link to nothing (a dangling link), "
                           "expected a directory", dir);
    char *p = bract_xstrdup(dir);
    if (!p)
        return BRACT_ENOMEM;
    int rc = BRACT_OK;
    for (char *q = p + 1; *q && !rc; q++) {
        if (*q != '/')
            continue;
        *q = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST)
            rc = bract_error(BRACT_EIO, "cannot create the directory %s: %s", p, strerror(errno));
        else if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode))
            rc = bract_error(BRACT_EIO, "cannot create the directory %s: %s is not a directory",
                             dir, p);
        *q = '/';
    }
    if (!rc) {
        if (mkdir(p, 0777) == 0) {
            if (created)
                *created = 1;
        } else if (errno != EEXIST) {
            rc = bract_error(BRACT_EIO, "cannot create the directory %s: %s", dir,
                             strerror(errno));
        }
    }
    free(p);
    return rc;
}

char *bract_sidecar_path(const char *output_path)
{
    if (!output_path || strcmp(output_path, "-") == 0)
        return NULL;
    const char *slash = strrchr(output_path, '/');
    const char *base = slash ? slash + 1 : output_path;
    size_t el = ext_len(base);
    if (bract_ends_with(base, ".json") && strlen(base) > 5)
        el = 0; /* a .json output gets <name>.json.json rather than itself */
    size_t keep = strlen(output_path) - el;
    char *p = bract_xmalloc(keep + 6, 1, "a sidecar name");
    if (p) {
        memcpy(p, output_path, keep);
        memcpy(p + keep, ".json", 6);
    }
    return p;
}
