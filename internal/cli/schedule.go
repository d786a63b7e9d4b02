package cli

import (
	"time"

	"github.com/sluice-data/sluice/internal/schedule"
	"github.com/sluice-data/sluice/internal/serve"
)

// parseSchedule parses a pipeline's schedule: for the local scheduler.
func parseSchedule(expr string, anchor time.Time) (serve.Schedule, error) {
	return schedule.Parse(expr, anchor)
}
