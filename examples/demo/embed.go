// Package demo holds the demo project that `sluice demo` writes to ./sluice-demo
// and runs into SQLite: an online tea shop's customers (monthly CSV exports),
// orders (daily gzip CSV exports) and web analytics events (gzip JSON Lines in
// dated folders), with a few deliberately bad rows. The files are embedded in the
// binary, so the demo works from any folder and without a network.
//
// The data under data/ is written by `go run ./examples/demo/gen`; a test checks
// that the committed files are exactly what the generator writes. README.md lists
// what each pipeline shows and every deliberately bad row.
package demo

import (
	"embed"
	"io/fs"
)

// files holds the project. Names starting with "." or "_" are not embedded, so a
// local run's data/_rejects never is.
//
//go:embed README.md sluice.yaml pipelines/*.yaml data
var files embed.FS

// Project returns the demo project, rooted at the project folder: README.md,
// sluice.yaml, pipelines/*.yaml and data/ (incoming/… is what the pipelines read;
// later/… is for the README's merge step).
func Project() fs.FS { return files }
