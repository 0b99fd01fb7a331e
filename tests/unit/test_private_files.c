/* Unit tests: the database and the usage journal are created 0600 whatever
 * the umask (they hold key digests and usage), and a database left 0644 by
 * an older version is tightened when it is opened. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "billing/journal.h"
#include "core/mg.h"
#include "store/store.h"

static char dir[64];

static int setup(void **state)
{
    snprintf(dir, sizeof(dir), "/tmp/mgpriv.XXXXXX");
    assert_non_null(mkdtemp(dir));
    return 0;
}

static int teardown(void **state)
{
    char cmd[128];
    umask(022);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static unsigned mode_of(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return (unsigned)(st.st_mode & 0777);
}

/* Opens (creating) dir/name, writes so that SQLite makes its -wal and -shm
 * files, and checks all three are 0600. */
static void open_and_check(const char *name)
{
    static int n;
    char spec[256], path[160], side[192], err[256], email[64];
    int64_t id;
    snprintf(email, sizeof(email), "ann%d@example.com", n++);
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    snprintf(spec, sizeof(spec), "sqlite:%s", path);
    struct mg_store *s = mg_store_open(spec, err, sizeof(err));
    assert_non_null(s);
    assert_int_equal(s->ops->migrate(s), MG_OK);
    assert_int_equal(s->ops->account_create(s, email, NULL, 0, &id), MG_OK);
    assert_int_equal(mode_of(path), 0600);
    snprintf(side, sizeof(side), "%s-wal", path);
    assert_int_equal(mode_of(side), 0600);
    snprintf(side, sizeof(side), "%s-shm", path);
    assert_int_equal(mode_of(side), 0600);
    s->ops->close(s);
}

static void database_is_0600_under_any_umask(void **state)
{
    umask(0); /* the loosest: SQLite alone would make 0644 */
    open_and_check("loose.db");
    umask(0277); /* takes even the owner's write bit: still exactly 0600 */
    open_and_check("tight.db");
}

static void an_old_world_readable_database_is_tightened(void **state)
{
    char path[160];
    umask(022);
    open_and_check("old.db");
    snprintf(path, sizeof(path), "%s/old.db", dir);
    assert_int_equal(chmod(path, 0644), 0);
    open_and_check("old.db");
}

static void journal_segments_are_0600_under_any_umask(void **state)
{
    char err[256];
    const mode_t masks[] = {0, 0277};
    for (size_t i = 0; i < MG_ARRAY_SIZE(masks); i++) {
        umask(masks[i]);
        struct mg_journal_seg *seg = mg_journal_seg_create(dir, i + 1, 16, err, sizeof(err));
        assert_non_null(seg);
        assert_int_equal(mode_of(seg->path), 0600);
        mg_journal_seg_free(seg, 1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(database_is_0600_under_any_umask, setup, teardown),
        cmocka_unit_test_setup_teardown(an_old_world_readable_database_is_tightened, setup, teardown),
        cmocka_unit_test_setup_teardown(journal_segments_are_0600_under_any_umask, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
