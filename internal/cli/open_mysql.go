package cli

import (
	"context"
	"fmt"

	"github.com/sluice-data/sluice/internal/sink"
	"github.com/sluice-data/sluice/internal/source"
)

// openMySQL is replaced when the MySQL sink lands.
func openMySQL(_ context.Context, u string) (sink.DB, error) {
	return nil, fmt.Errorf("database %s: the MySQL sink is not in this build yet", source.Redact(u))
}
