// Package migrations embeds dingbridge's database schema migrations.
//
// Each dialect has its own directory of forward-only, numbered SQL files
// (sqlite/0001_init.sql, postgres/0001_init.sql, …), exposed as an
// embed.FS. A backend applies the files it has not applied yet in name
// order, each in its own transaction, and records every applied name in its
// schema_migrations table. An applied file is never edited; a schema change
// is a new file.
package migrations
