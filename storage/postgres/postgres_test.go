package postgres_test

import (
	"testing"

	"github.com/dingbridge/dingbridge/storage"
	"github.com/dingbridge/dingbridge/storage/postgres/postgrestest"
	"github.com/dingbridge/dingbridge/storage/storagetest"
)

func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Storage { return postgrestest.New(t) })
}
