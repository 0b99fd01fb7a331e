/* Unit tests: a redeem code's normalization (platform/h_wallet.c
 * pf_redeem_normalize): case, dashes and spaces ignored, O read as 0 and I
 * and L as 1, the MGR prefix optional; anything that cannot be a code (a
 * wrong length, U, punctuation, a prefix other than MGR) is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/mg.h"
#include "platform/pf.h"

static void normalizes_what_people_type(void **state)
{
    char out[17];
    const char *same[] = {"MGR-7K2P-9QXD-4M8N-ZR3T", "mgr-7k2p-9qxd-4m8n-zr3t", "7K2P9QXD4M8NZR3T",
                          " MGR 7K2P 9QXD 4M8N ZR3T ", "mgr7k2p-9qxd-4m8n-zr3t"};
    for (size_t i = 0; i < MG_ARRAY_SIZE(same); i++) {
        assert_int_equal(pf_redeem_normalize(same[i], out), MG_OK);
        assert_string_equal(out, "7K2P9QXD4M8NZR3T");
    }
    assert_int_equal(pf_redeem_normalize("MGR-O1IL-oiil-0000-1111", out), MG_OK); /* O -> 0, I/L -> 1 */
    assert_string_equal(out, "0111011100001111");
}

static void refuses_what_cannot_be_a_code(void **state)
{
    char out[17];
    const char *bad[] = {"", "MGR-", "MGR-7K2P-9QXD-4M8N-ZR3", "MGR-7K2P-9QXD-4M8N-ZR3TT", "MGR-UUUU-9QXD-4M8N-ZR3T",
                         "MGR-7K2P-9QXD-4M8N-ZR3!", "ABC-7K2P-9QXD-4M8N-ZR3T", "MGR_7K2P_9QXD_4M8N_ZR3T",
                         "MGR-7K2P-9QXD-4M8N-ZR3T-MGR-7K2P-9QXD-4M8N-ZR3T-MGR-7K2P-9QXD-4M8N-ZR3T"};
    for (size_t i = 0; i < MG_ARRAY_SIZE(bad); i++)
        assert_int_equal(pf_redeem_normalize(bad[i], out), MG_DECLINED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(normalizes_what_people_type),
        cmocka_unit_test(refuses_what_cannot_be_a_code),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
