/* Unit tests of the pipeline planner (src/cli/pipeline/plan.h): a study on
 * disk planned into steps, their command lines and dependencies, the
 * up-to-date checks, the check of stage keys against the commands' option
 * tables, and the messages for bad files. */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif
#include "testutil.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/pipeline/plan.h"

static char *root; /* the study: root/study.ini, root/data/sub-0{1,2}/bold.nii.gz */

static char *path_in(const char *rel) { return tu_join(root, rel); }

static void write_rel(const char *rel, const char *text)
{
    char *p = path_in(rel);
    tu_write(p, text);
    free(p);
}

static void setup(void)
{
    root = tu_tmpdir();
    ck_assert_ptr_nonnull(root);
    const char *dirs[] = {"data", "data/sub-01", "data/sub-02"};
    for (int i = 0; i < 3; i++) {
        char *d = path_in(dirs[i]);
        ck_assert_int_eq(mkdir(d, 0755), 0);
        free(d);
    }
    write_rel("data/sub-01/bold.nii.gz", "not read by the planner");
    write_rel("data/sub-02/bold.nii.gz", "not read by the planner");
    write_rel("data/atlas.nii.gz", "not read by the planner");
}

static void teardown(void)
{
    tu_rmtree(root);
    free(root);
}

/* A study: region series per subject, then a group stage over them. */
static const char study[] = "; a small study\n"
                            "[dataset]\n"
                            "root = data\n"
                            "bold = {subject}/bold.nii.gz\n"
                            "atlas = atlas.nii.gz\n"
                            "\n"
                            "[stage maps]\n"
                            "command = group\n"
                            "scope = group\n"
                            "maps = {all:stage:series}\n"
                            "mask = {atlas}\n"
                            "permutations = 100\n"
                            "tfce = yes\n"
                            "output = {out}/maps\n"
                            "\n"
                            "[stage series]\n"
                            "command = extract\n"
                            "data = {bold}\n"
                            "atlas = {atlas}\n"
                            "output = {out}/{subject}_timeseries.tsv\n";

/* Load root/NAME.ini written from text; the status. */
static int load(const char *name, const char *text, pl_pipeline **p)
{
    char rel[64];
    snprintf(rel, sizeof rel, "%s.ini", name);
    write_rel(rel, text);
    char *file = path_in(rel);
    bract_clear_error();
    int rc = cli_plan_load(file, NULL, NULL, p);
    free(file);
    return rc;
}

START_TEST(steps_of_a_study)
{
    pl_pipeline *p;
    ck_assert_int_eq(load("study", study, &p), 0);
    ck_assert_uint_eq(p->nsubjects, 2);
    ck_assert_str_eq(p->subjects[0], "sub-01");
    ck_assert_str_eq(p->subjects[1], "sub-02");
    char *data = path_in("data"), *out = path_in("data/derivatives/bract");
    ck_assert_str_eq(p->data_root, data);
    ck_assert_str_eq(p->out_root, out);
    /* series before maps, whatever the file's order: subject steps, then the group step */
    ck_assert_uint_eq(p->nsteps, 3);
    for (size_t i = 0; i < 2; i++) {
        ck_assert_str_eq(p->steps[i].stage, "series");
        ck_assert_int_eq(p->steps[i].subject, (long)i);
        ck_assert_uint_eq(p->steps[i].ndeps, 0);
    }
    const pl_step *g = &p->steps[2];
    ck_assert_str_eq(g->stage, "maps");
    ck_assert_int_eq(g->subject, -1);
    ck_assert_str_eq(cli_plan_subject(p, g), "group");
    ck_assert_str_eq(cli_plan_subject(p, &p->steps[1]), "sub-02");
    ck_assert_uint_eq(g->ndeps, 2);
    ck_assert_uint_eq(g->deps[0], 0);
    ck_assert_uint_eq(g->deps[1], 1);

    /* a subject step's command line: keys in file order, then -o and --force */
    const pl_step *s = &p->steps[1];
    char want[4096];
    snprintf(want, sizeof want,
             "bract extract --data %s/sub-02/bold.nii.gz --atlas %s/atlas.nii.gz -o "
             "%s/sub-02/sub-02_timeseries.tsv --force",
             data, data, out);
    ck_assert_str_eq(s->cmdline, want);
    ck_assert_int_eq(s->argc, 8);
    ck_assert_str_eq(s->argv[0], "extract");
    ck_assert_str_eq(s->argv[7], "--force");
    ck_assert_uint_eq(s->ninputs, 2);
    ck_assert_uint_eq(s->noutputs, 1);
    snprintf(want, sizeof want, "%s/sub-02/sub-02_timeseries.tsv", out);
    ck_assert_str_eq(s->outputs[0], want);

    /* the group step: one --maps per subject output, a flag alone */
    snprintf(want, sizeof want,
             "bract group --maps %s/sub-01/sub-01_timeseries.tsv --maps "
             "%s/sub-02/sub-02_timeseries.tsv --mask %s/atlas.nii.gz --permutations 100 --tfce "
             "-o %s/group/maps --force",
             out, out, data, out);
    ck_assert_str_eq(g->cmdline, want);
    cli_plan_free(p);

    /* --data and --out override the file's roots */
    char *file = path_in("study.ini");
    char *other = path_in("elsewhere");
    ck_assert_int_eq(cli_plan_load(file, data, other, &p), 0);
    ck_assert_str_eq(p->out_root, other);
    ck_assert(strncmp(p->steps[0].outputs[0], other, strlen(other)) == 0);
    cli_plan_free(p);
    free(other);
    free(file);
    free(data);
    free(out);
}
END_TEST

START_TEST(after_orders_steps)
{
    /* b runs after a for the same subject; the group stage g after every b */
    pl_pipeline *p;
    ck_assert_int_eq(load("after",
                          "[dataset]\nroot = data\nbold = {subject}/bold.nii.gz\n"
                          "[stage g]\ncommand = group\nscope = group\nmaps = x\nmask = y\n"
                          "after = b\noutput = {out}/g\n"
                          "[stage b]\ncommand = extract\ndata = {bold}\natlas = z\n"
                          "after = a\noutput = {out}/b.tsv\n"
                          "[stage a]\ncommand = extract\ndata = {bold}\natlas = z\n"
                          "output = {out}/a.tsv\n",
                          &p),
                     0);
    ck_assert_uint_eq(p->nsteps, 5);
    const char *order[] = {"a", "a", "b", "b", "g"};
    for (size_t i = 0; i < 5; i++)
        ck_assert_str_eq(p->steps[i].stage, order[i]);
    ck_assert_uint_eq(p->steps[3].ndeps, 1); /* b of sub-02 after a of sub-02 */
    ck_assert_uint_eq(p->steps[3].deps[0], 1);
    ck_assert_uint_eq(p->steps[4].ndeps, 2);
    ck_assert_uint_eq(p->steps[4].deps[0], 2);
    ck_assert_uint_eq(p->steps[4].deps[1], 3);
    cli_plan_free(p);
    ck_assert_int_eq(load("after2",
                          "[dataset]\nroot = data\nbold = {subject}/bold.nii.gz\n"
                          "[stage b]\ncommand = extract\ndata = {bold}\natlas = z\n"
                          "after = nowhere\noutput = {out}/b.tsv\n",
                          &p),
                     BRACT_EFORMAT);
    ck_assert(strstr(bract_last_error(), "section [stage b]: key after: no stage named nowhere"));
}
END_TEST

/* Write step i's output and the sidecar that records it. */
static void finish_step(const pl_step *s, const char *cmdline)
{
    tu_write(s->outputs[0], "a\n1\n");
    char *rec = cli_plan_step_record(s);
    char *json = malloc(strlen(cmdline) + 64);
    sprintf(json, "{\"CommandLine\": \"%s\"}\n", cmdline);
    tu_write(rec, json);
    free(json);
    free(rec);
}

static void set_mtime(const char *path, time_t t)
{
    struct timespec ts[2] = {{t, 0}, {t, 0}};
    ck_assert_int_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
}

START_TEST(up_to_date)
{
    pl_pipeline *p;
    ck_assert_int_eq(load("study", study, &p), 0);
    char why[512];
    unsigned char will[3] = {0};
    ck_assert_int_eq(cli_plan_status(p, 0, will, why, sizeof why), PL_NEW);
    ck_assert_str_eq(why, "new");

    char *sub = path_in("data/derivatives"), *sub2 = path_in("data/derivatives/bract"),
         *sub3 = path_in("data/derivatives/bract/sub-01");
    ck_assert_int_eq(mkdir(sub, 0755), 0);
    ck_assert_int_eq(mkdir(sub2, 0755), 0);
    ck_assert_int_eq(mkdir(sub3, 0755), 0);
    const pl_step *s = &p->steps[0];
    /* an output without its record: an interrupted run */
    tu_write(s->outputs[0], "a\n1\n");
    ck_assert_int_eq(cli_plan_status(p, 0, will, why, sizeof why), PL_NEW);
    ck_assert_str_eq(why, "no record of a finished run");
    /* the record of another command line */
    finish_step(s, "bract extract --data other.nii.gz");
    ck_assert_int_eq(cli_plan_status(p, 0, will, why, sizeof why), PL_CHANGED);
    ck_assert_str_eq(why, "parameters changed");
    /* the record of this one, inputs older than the output */
    finish_step(s, s->cmdline);
    for (size_t k = 0; k < s->ninputs; k++)
        set_mtime(s->inputs[k], 1000000000);
    set_mtime(s->outputs[0], 1000000100);
    ck_assert_int_eq(cli_plan_status(p, 0, will, why, sizeof why), PL_UPTODATE);
    ck_assert_str_eq(why, "up to date");
    /* an input newer than the output */
    set_mtime(s->inputs[0], 1000000200);
    ck_assert_int_eq(cli_plan_status(p, 0, will, why, sizeof why), PL_STALE);
    char want[1024];
    snprintf(want, sizeof want, "input %s is newer", s->inputs[0]);
    ck_assert_str_eq(why, want);

    /* a step after one that runs runs too */
    const pl_step *g = &p->steps[2];
    char *gdir = path_in("data/derivatives/bract/group");
    ck_assert_int_eq(mkdir(gdir, 0755), 0);
    finish_step(g, g->cmdline);
    will[0] = 0;
    will[1] = 1;
    ck_assert_int_eq(cli_plan_status(p, 2, will, why, sizeof why), PL_STALE);
    ck_assert_str_eq(why, "after series sub-02");
    cli_plan_free(p);
    free(gdir);
    free(sub);
    free(sub2);
    free(sub3);
}
END_TEST

/* Finding F15: keys that are not options of the command fail at load. */
START_TEST(stage_keys_checked)
{
    static const struct {
        const char *stage, *msg;
    } cases[] = {
        {"command = extract\ndata = {bold}\natlas = {atlas}\nfrobnicate = yes\noutput = x.tsv\n",
         "section [stage a]: key frobnicate: bract extract has no option --frobnicate"},
        {"command = group\nscope = group\nmaps = x\nmask = y\ntfce = 0.5\noutput = g\n",
         "section [stage a]: key tfce: --tfce is a flag: write yes or no (found '0.5')"},
        {"command = group\nscope = group\nmaps = x\nmask = no\noutput = g\n",
         "section [stage a]: key mask: --mask takes a value, not 'no'"},
        {"command = extract\ndata = {bold}\noutput = x.tsv\n",
         "section [stage a]: missing key 'atlas' (bract extract needs it)"},
        {"command = group\nscope = group\nmask = y\noutput = g\n",
         "section [stage a]: missing key 'maps' (bract group needs it)"},
        {"command = extract\ndata = {bold}\natlas = {atlas}\nhelp = yes\noutput = x.tsv\n",
         "section [stage a]: key help: bract extract has no option --help"},
        {"command = info\nargs = {bold}\noutput = x.txt\n",
         "section [stage a]: key command: bract info writes no output file, so it cannot be a "
         "stage"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char text[1024];
        snprintf(text, sizeof text,
                 "[dataset]\nroot = data\nbold = {subject}/bold.nii.gz\natlas = atlas.nii.gz\n"
                 "[stage a]\n%s",
                 cases[i].stage);
        pl_pipeline *p = (pl_pipeline *)1;
        ck_assert_int_eq(load("keys", text, &p), BRACT_EFORMAT);
        ck_assert_ptr_null(p);
        ck_assert_msg(strstr(bract_last_error(), cases[i].msg), "case %zu: \"%s\" lacks \"%s\"",
                      i, bract_last_error(), cases[i].msg);
        ck_assert_msg(strstr(bract_last_error(), "keys.ini: "), "case %zu: no file name", i);
    }
    /* common options are options of every command; no is a flag left out */
    pl_pipeline *p;
    ck_assert_int_eq(load("common",
                          "[dataset]\nroot = data\nbold = {subject}/bold.nii.gz\n"
                          "[stage a]\ncommand = extract\ndata = {bold}\natlas = atlas.nii.gz\n"
                          "threads = 2\nquiet = yes\nverbose = no\noutput = {out}/x.tsv\n",
                          &p),
                     0);
    ck_assert(strstr(p->steps[0].cmdline, "--threads 2 --quiet -o"));
    cli_plan_free(p);
}
END_TEST

START_TEST(bad_files)
{
    static const struct {
        const char *text, *msg;
        int status;
    } cases[] = {
        {"[dataset]\nroot = data\n[stage a]\ncommand = frobnicate\noutput = x\n",
         "section [stage a]: key command: unknown bract command 'frobnicate'", BRACT_EFORMAT},
        {"[dataset]\nroot = data\n[stages]\nx = 1\n", "section [stages]: unknown section",
         BRACT_EFORMAT},
        {"[dataset]\nroot = data\n[stage a]\ncommand clean\n",
         "line 4: not a section header, key = value, or comment", BRACT_EFORMAT},
        {"[dataset]\nroot = nowhere\n[stage a]\ncommand = extract\noutput = x\n",
         "section [dataset]: key root: ", BRACT_EFORMAT},
        {"[dataset]\nroot = data\n", "no [stage NAME] section: nothing to run", BRACT_EFORMAT},
        {"[output]\nroot = x\n", "no [dataset] section", BRACT_EFORMAT},
        {"[dataset]\nroot = data\nbold = {subject}/func/*.nii.gz\n[stage a]\ncommand = extract\n"
         "data = {bold}\natlas = x\noutput = {out}/x.tsv\n",
         "section [dataset]: key bold: pattern ", BRACT_EFORMAT},
        {"[dataset]\nroot = data\n[stage a]\ncommand = extract\ndata = {stage:b}\natlas = x\n"
         "output = a.tsv\n[stage b]\ncommand = extract\ndata = {stage:a}\natlas = x\n"
         "output = b.tsv\n",
         "section [stage a]: the stages depend on each other in a cycle: a -> b -> a",
         BRACT_EFORMAT},
        {"[dataset]\nroot = data\n[stage a]\ncommand = extract\ndata = x\natlas = x\n",
         "section [stage a]: missing key 'output'", BRACT_EFORMAT},
        {"[dataset]\nroot = data\n[stage a]\ncommand = extract\ndata = {nothing}\natlas = x\n"
         "output = {out}/a.tsv\n",
         "section [stage a]: key data: unknown placeholder {nothing}", BRACT_EFORMAT},
        /* finding F5: outputs outside the output root */
        {"[dataset]\nroot = data\n[stage a]\ncommand = extract\ndata = x\natlas = x\n"
         "output = {out}/../../x.tsv\n",
         "section [stage a]: key output: ", BRACT_EFORMAT},
        {"[dataset]\nroot = data\n[output]\nallow_outside_root = maybe\n[stage a]\n"
         "command = extract\ndata = x\natlas = x\noutput = {out}/x.tsv\n",
         "section [output]: key allow_outside_root: write yes or no (found 'maybe')",
         BRACT_EFORMAT},
        /* subjects stay under the root (fuzz_pipeline: an absolute pattern searched
         * the whole file system) */
        {"[dataset]\nroot = data\nsubjects = /*/*/*/*\n[stage a]\ncommand = extract\n"
         "data = x\natlas = x\noutput = {out}/x.tsv\n",
         "section [dataset]: key subjects: '/*/*/*/*' is an absolute path: subjects are names, "
         "or patterns matched under the root", BRACT_EFORMAT},
        {"[dataset]\nroot = data\nsubjects = sub-01 ../sub-*\n[stage a]\ncommand = extract\n"
         "data = x\natlas = x\noutput = {out}/x.tsv\n",
         "key subjects: '../sub-*' has a '..' component", BRACT_EFORMAT},
        {"[dataset]\nroot = data\nsubjects = a/..\n[stage a]\ncommand = extract\n"
         "data = x\natlas = x\noutput = {out}/x.tsv\n",
         "key subjects: 'a/..' is a name with a '/'", BRACT_EFORMAT},
        {"[dataset]\nroot = data\nsubjects = x/../*\n[stage a]\ncommand = extract\n"
         "data = x\natlas = x\noutput = {out}/x.tsv\n",
         "key subjects: 'x/../*' has a '..' component", BRACT_EFORMAT},
        {"[dataset]\nroot = data\n[output]\nfrobnicate = 1\n[stage a]\n"
         "command = extract\ndata = x\natlas = x\noutput = {out}/x.tsv\n",
         "section [output]: key frobnicate: unknown key (expected root or allow_outside_root)",
         BRACT_EFORMAT},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        pl_pipeline *p = (pl_pipeline *)1;
        ck_assert_int_eq(load("bad", cases[i].text, &p), cases[i].status);
        ck_assert_ptr_null(p);
        ck_assert_msg(strstr(bract_last_error(), cases[i].msg), "case %zu: \"%s\" lacks \"%s\"",
                      i, bract_last_error(), cases[i].msg);
    }
    /* a file that is not there */
    pl_pipeline *p;
    char *none = path_in("none.ini");
    ck_assert_int_eq(cli_plan_load(none, NULL, NULL, &p), BRACT_EIO);
    ck_assert_ptr_null(p);
    ck_assert(strstr(bract_last_error(), "none.ini: cannot open: No such file or directory"));
    free(none);
}
END_TEST

/* [settings]: names in patterns and values, replaced by the caller, and
 * inputs, subjects and the file's text given by the caller (bract bids). */
START_TEST(settings_and_overrides)
{
    write_rel("data/sub-01/bold_space-A.nii.gz", "x");
    write_rel("data/sub-02/bold_space-A.nii.gz", "x");
    write_rel("data/sub-02/bold_space-B.nii.gz", "x");
    write_rel("data/other.nii.gz", "x");
    static const char text[] = "[settings]\n"
                               "space = A\n"
                               "[dataset]\n"
                               "root = data\n"
                               "bold = {subject}/bold_space-{space}.nii.gz\n"
                               "atlas = atlas.nii.gz\n"
                               "[stage series]\n"
                               "command = extract\n"
                               "data = {bold}\n"
                               "atlas = {atlas}\n"
                               "output = {out}/{subject}_space-{space}_timeseries.tsv\n";
    pl_pipeline *p;
    ck_assert_int_eq(load("settings", text, &p), 0);
    ck_assert_uint_eq(p->nsteps, 2);
    ck_assert(strstr(p->steps[1].cmdline, "sub-02/bold_space-A.nii.gz --atlas"));
    ck_assert(strstr(p->steps[1].outputs[0], "/sub-02/sub-02_space-A_timeseries.tsv"));
    cli_plan_free(p);

    /* the caller's values win; the text needs no file; one subject */
    char *data = path_in("data");
    const char *set[] = {"space=B"}, *in[] = {"atlas=other.nii.gz"}, *subs[] = {"sub-02"};
    pl_load_opts o = {.data_dir = data, .settings = set, .nsettings = 1, .inputs = in,
                      .ninputs = 1, .subjects = subs, .nsubjects = 1, .text = text};
    ck_assert_int_eq(cli_plan_load_opts("built-in.ini", &o, &p), 0);
    ck_assert_str_eq(p->file, "built-in.ini");
    ck_assert_uint_eq(p->nsubjects, 1);
    ck_assert_uint_eq(p->nsteps, 1);
    ck_assert(strstr(p->steps[0].cmdline, "sub-02/bold_space-B.nii.gz --atlas"));
    ck_assert(strstr(p->steps[0].cmdline, "/other.nii.gz -o"));
    ck_assert(strstr(p->steps[0].outputs[0], "/sub-02/sub-02_space-B_timeseries.tsv"));
    cli_plan_free(p);

    /* what cannot be */
    const char *bad_in[] = {"mask=m.nii.gz"};
    pl_load_opts b = {.data_dir = data, .inputs = bad_in, .ninputs = 1, .text = text};
    ck_assert_int_eq(cli_plan_load_opts("built-in.ini", &b, &p), BRACT_EFORMAT);
    ck_assert(strstr(bract_last_error(), "section [dataset]: no key mask to give the input "
                                         "m.nii.gz for"));
    const char *bad_set[] = {"space"};
    pl_load_opts b2 = {.data_dir = data, .settings = bad_set, .nsettings = 1, .text = text};
    ck_assert_int_eq(cli_plan_load_opts("built-in.ini", &b2, &p), BRACT_EFORMAT);
    ck_assert(strstr(bract_last_error(), "setting 'space': expected NAME=VALUE"));
    static const char clash[] = "[settings]\natlas = x\n[dataset]\natlas = atlas.nii.gz\n"
                                "[stage s]\ncommand = extract\ndata = {atlas}\n"
                                "atlas = {atlas}\noutput = {out}/x.tsv\n";
    ck_assert_int_eq(load("clash", clash, &p), BRACT_EFORMAT);
    ck_assert(strstr(bract_last_error(), "section [settings]: key atlas is a [dataset] key too"));
    static const char unknown[] = "[dataset]\nroot = data\nbold = {subject}/bold_{space}.nii.gz\n"
                                  "[stage s]\ncommand = extract\ndata = {bold}\n"
                                  "atlas = {bold}\noutput = {out}/x.tsv\n";
    ck_assert_int_eq(load("unknown", unknown, &p), BRACT_EFORMAT);
    ck_assert(strstr(bract_last_error(), "unknown placeholder {space} (patterns may use "
                                         "{subject}, {run} and the names of [settings])"));
    free(data);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pipeline_plan");
    TCase *tc = tcase_create("plan");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, steps_of_a_study);
    tcase_add_test(tc, after_orders_steps);
    tcase_add_test(tc, up_to_date);
    tcase_add_test(tc, stage_keys_checked);
    tcase_add_test(tc, bad_files);
    tcase_add_test(tc, settings_and_overrides);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
