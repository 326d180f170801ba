package migrations

import "embed"

// SQLite holds the SQLite migrations, sqlite/NNNN_name.sql, applied in
// lexical order by storage/sqlite.
//
//go:embed sqlite/*.sql
var SQLite embed.FS
