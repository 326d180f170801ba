package migrations

import "embed"

// Postgres holds the PostgreSQL migrations, postgres/NNNN_name.sql, applied
// in lexical order by storage/postgres.
//
//go:embed postgres/*.sql
var Postgres embed.FS
