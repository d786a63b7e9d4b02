package cli

import (
	"context"

	"github.com/sluice-data/sluice/internal/sink"
	"github.com/sluice-data/sluice/internal/sink/mysql"
)

func openMySQL(ctx context.Context, u string) (sink.DB, error) { return mysql.Open(ctx, u) }
