// The system's SQLite (Debian: libsqlite3-dev), and what its macros hide from Swift.
#include <sqlite3.h>

// SQLITE_TRANSIENT (SQLite copies the bytes before the call returns) is a cast Swift cannot import.
static inline int csqlite3_bind_text_transient(sqlite3_stmt *statement, int index, const char *text, int length) {
    return sqlite3_bind_text(statement, index, text, length, SQLITE_TRANSIENT);
}

static inline int csqlite3_bind_blob_transient(sqlite3_stmt *statement, int index, const void *bytes, int length) {
    return sqlite3_bind_blob(statement, index, bytes, length, SQLITE_TRANSIENT);
}
