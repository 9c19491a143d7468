/*
 * lethe_clock_form(v) as a SQLite loadable extension: the same answer as clockTextForm in
 * src/clock/read.ts, which stays the reference and the fallback where this cannot be built
 * or loaded. SQLite calls it on every due row of a stage's key query; a JavaScript function
 * costs a crossing into V8 per call, about 0.2 s per million rows where this costs nothing
 * measurable.
 *
 * The answer is 1 + the index in TEXT_FORMS of the value's form, 0 for anything else: text
 * `YYYY-MM-DD`, optionally `T` or a space and `hh:mm`, `:ss`, `.fff` or `.ffffff`, a time
 * optionally followed by `Z` or `+00:00`; the date must exist in the years 0001-9999,
 * hours 00-23, minutes and seconds 00-59. Only text is a clock here: numbers and blobs are 0.
 */
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1

#include <string.h>

/*
 * TEXT_FORMS' order (src/clock/read.ts): formKey(length, separator, zone) of each form, its
 * code being 1 + its index. length * 100 + (separator ' ' ? 10 : 0) + (zone 'Z' ? 1 : zone
 * '' ? 0 : 2). test/unit/clock-form-native.test.ts checks every form against the reference.
 */
static const int FORM_KEYS[] = {
  2301, 1910, 2610, 2310,
  1000,
  1600, 1601, 1602, 1610, 1611, 1612,
  1900, 1901, 1902, 1911, 1912,
  2300, 2302, 2311, 2312,
  2600, 2601, 2602, 2611, 2612,
};

static int digits(const unsigned char *s, int from, int to) {
  for (int i = from; i < to; i++) if (s[i] < '0' || s[i] > '9') return 0;
  return 1;
}

static int two(const unsigned char *s, int at) {
  return (s[at] - '0') * 10 + (s[at + 1] - '0');
}

static int days_in_month(int y, int m) {
  if (m == 2) return (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 29 : 28;
  return (m == 4 || m == 6 || m == 9 || m == 11) ? 30 : 31;
}

static int form_of(const unsigned char *s, int n) {
  int zone = 0, zlen = 0;
  if (n >= 1 && s[n - 1] == 'Z') zone = 1, zlen = 1;
  else if (n >= 6 && memcmp(s + n - 6, "+00:00", 6) == 0) zone = 2, zlen = 6;
  int length = n - zlen;
  if (length != 10 && length != 16 && length != 19 && length != 23 && length != 26) return 0;
  if (!digits(s, 0, 4) || s[4] != '-' || !digits(s, 5, 7) || s[7] != '-' || !digits(s, 8, 10)) return 0;
  int year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
  int month = two(s, 5), day = two(s, 8);
  if (year == 0 || month < 1 || month > 12 || day < 1 || (day > 28 && day > days_in_month(year, month))) return 0;
  int space = 0;
  if (length > 10) {
    if (s[10] != 'T' && s[10] != ' ') return 0;
    space = s[10] == ' ';
    if (!digits(s, 11, 13) || s[13] != ':' || !digits(s, 14, 16) || two(s, 11) > 23 || two(s, 14) > 59) return 0;
  }
  if (length > 16 && (s[16] != ':' || !digits(s, 17, 19) || two(s, 17) > 59)) return 0;
  if (length > 19 && (s[19] != '.' || !digits(s, 20, length))) return 0;
  int key = length * 100 + space * 10 + zone;
  for (int i = 0; i < (int)(sizeof FORM_KEYS / sizeof FORM_KEYS[0]); i++) if (FORM_KEYS[i] == key) return i + 1;
  return 0;
}

static void lethe_clock_form(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  if (sqlite3_value_type(argv[0]) != SQLITE_TEXT) {
    sqlite3_result_int(ctx, 0);
    return;
  }
  const unsigned char *s = sqlite3_value_text(argv[0]);
  int n = sqlite3_value_bytes(argv[0]);
  sqlite3_result_int(ctx, s ? form_of(s, n) : 0);
}

#ifdef _WIN32
__declspec(dllexport)
#endif
int sqlite3_letheclock_init(sqlite3 *db, char **err, const sqlite3_api_routines *api) {
  (void)err;
  SQLITE_EXTENSION_INIT2(api);
  return sqlite3_create_function(db, "lethe_clock_form", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, 0, lethe_clock_form, 0, 0);
}
