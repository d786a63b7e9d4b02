// Package demo holds the demo project that `sluice demo` writes and runs: an
// online shop's customers, orders and events, with a few deliberately bad rows.
// It is embedded in the binary so that `go run ./cmd/sluice demo` works from any
// folder.
package demo

import (
	"embed"
	"io/fs"
)

//go:embed sluice.yaml pipelines data README.md
var files embed.FS

// Project returns the demo project's files: sluice.yaml, pipelines/ and data/.
func Project() fs.FS { return files }
