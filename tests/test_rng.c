/* Unit tests of bract/rng.h: Philox known answers, stream independence,
 * distributions. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>

START_TEST(philox_known_answer)
{
    /* Random123's published known-answer vector for philox4x32-10 with a
     * zero counter and key: 6627e8d5 e169c58d bc57ac4c 9b00dbd8. */
    bract_rng r;
    bract_rng_init(&r, 0, 0, 0);
    ck_assert_uint_eq(bract_rng_u32(&r), 0x6627e8d5u);
    ck_assert_uint_eq(bract_rng_u32(&r), 0xe169c58du);
    ck_assert_uint_eq(bract_rng_u32(&r), 0xbc57ac4cu);
    ck_assert_uint_eq(bract_rng_u32(&r), 0x9b00dbd8u);
}
END_TEST

START_TEST(streams_are_reproducible_and_distinct)
{
    bract_rng a, b, c;
    bract_rng_init(&a, 42, 7, 0);
    bract_rng_init(&b, 42, 7, 0);
    bract_rng_init(&c, 42, 8, 0);
    int same_c = 0;
    for (int i = 0; i < 1000; i++) {
        uint32_t x = bract_rng_u32(&a);
        ck_assert_uint_eq(x, bract_rng_u32(&b));
        same_c += x == bract_rng_u32(&c);
    }
    ck_assert_int_lt(same_c, 3);
    /* random access: substream 3 of a stream gives the same values whether
     * it is drawn first, after 1000 draws of substream 2, or interleaved with
     * substream 2 (another thread's work) -- no state is shared between them */
    uint32_t first[100];
    bract_rng_init(&a, 42, 8, 3);
    for (int i = 0; i < 100; i++)
        first[i] = bract_rng_u32(&a);
    bract_rng_init(&b, 42, 8, 2);
    int same_sub = 0;
    for (int i = 0; i < 1000; i++) {
        uint32_t x = bract_rng_u32(&b);
        same_sub += i < 100 && x == first[i];
    }
    ck_assert_int_lt(same_sub, 3); /* substreams differ */
    bract_rng_init(&a, 42, 8, 3);
    for (int i = 0; i < 100; i++)
        ck_assert_uint_eq(bract_rng_u32(&a), first[i]);
    bract_rng_init(&a, 42, 8, 3);
    bract_rng_init(&b, 42, 8, 2);
    for (int i = 0; i < 100; i++) {
        bract_rng_u32(&b);
        ck_assert_uint_eq(bract_rng_u32(&a), first[i]);
        bract_rng_normal(&b);
    }
}
END_TEST

START_TEST(uniform_moments)
{
    bract_rng r;
    bract_rng_init(&r, 2024, 1, 3);
    const int n = 200000;
    double s = 0, s2 = 0, lo = 1, hi = 0;
    for (int i = 0; i < n; i++) {
        double u = bract_rng_uniform(&r);
        ck_assert(u > 0 && u < 1);
        s += u;
        s2 += u * u;
        lo = fmin(lo, u);
        hi = fmax(hi, u);
    }
    double mean = s / n, var = s2 / n - mean * mean;
    /* mean has sd sqrt(1/12/n) = 6.5e-4: 5 sd bounds */
    ck_assert_double_eq_tol(mean, 0.5, 5 * 6.5e-4);
    ck_assert_double_eq_tol(var, 1.0 / 12, 2e-3);
}
END_TEST

START_TEST(normal_moments)
{
    bract_rng r;
    bract_rng_init(&r, 5, 0, 0);
    const int n = 200000;
    double s = 0, s2 = 0, s4 = 0;
    for (int i = 0; i < n; i++) {
        double z = bract_rng_normal(&r);
        s += z;
        s2 += z * z;
        s4 += z * z * z * z;
    }
    ck_assert_double_eq_tol(s / n, 0, 5 / sqrt(n));
    ck_assert_double_eq_tol(s2 / n, 1, 5 * sqrt(2.0 / n));
    ck_assert_double_eq_tol(s4 / n, 3, 5 * sqrt(96.0 / n));
}
END_TEST

START_TEST(below_is_unbiased_and_in_range)
{
    bract_rng r;
    bract_rng_init(&r, 9, 0, 0);
    int count[7] = {0};
    const int n = 70000;
    for (int i = 0; i < n; i++) {
        uint64_t k = bract_rng_below(&r, 7);
        ck_assert_uint_lt(k, 7);
        count[k]++;
    }
    /* chi-square with 6 df: 99.99th percentile is about 27.9 */
    double chi = 0;
    for (int k = 0; k < 7; k++)
        chi += (count[k] - n / 7.0) * (count[k] - n / 7.0) / (n / 7.0);
    ck_assert_double_lt(chi, 27.9);
    ck_assert_uint_eq(bract_rng_below(&r, 1), 0);
}
END_TEST

START_TEST(permutation_is_a_permutation)
{
    bract_rng r;
    bract_rng_init(&r, 1, 2, 3);
    size_t p[100];
    int seen[100] = {0}, moved = 0;
    bract_rng_permutation(&r, p, 100);
    for (int i = 0; i < 100; i++) {
        ck_assert_uint_lt(p[i], 100);
        seen[p[i]]++;
        moved += p[i] != (size_t)i;
    }
    for (int i = 0; i < 100; i++)
        ck_assert_int_eq(seen[i], 1);
    ck_assert_int_gt(moved, 80);
}
END_TEST

static Suite *rng_suite(void)
{
    Suite *s = suite_create("rng");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, philox_known_answer);
    tcase_add_test(tc, streams_are_reproducible_and_distinct);
    tcase_add_test(tc, uniform_moments);
    tcase_add_test(tc, normal_moments);
    tcase_add_test(tc, below_is_unbiased_and_in_range);
    tcase_add_test(tc, permutation_is_a_permutation);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(rng_suite()); }
