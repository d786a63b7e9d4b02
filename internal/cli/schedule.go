package cli

import (
	"errors"
	"time"

	"github.com/sluice-data/sluice/internal/serve"
)

// parseSchedule parses a pipeline's schedule: for the local scheduler.
func parseSchedule(expr string, anchor time.Time) (serve.Schedule, error) {
	return nil, errors.New("the local scheduler is not in this build")
}
