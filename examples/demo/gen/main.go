// Command gen rewrites the demo project's sample data in examples/demo/data,
// deterministically: running it twice gives the same bytes. Run it from the
// repository root:
//
//	go run ./examples/demo/gen            # writes examples/demo/data
//	go run ./examples/demo/gen DIR        # writes DIR instead
//
// The rows that are bad on purpose are listed in the datagen package and in
// examples/demo/README.md.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/sluice-data/sluice/examples/demo/internal/datagen"
)

func main() {
	dir := filepath.Join("examples", "demo", "data")
	switch len(os.Args) {
	case 1:
		if _, err := os.Stat(filepath.Join("examples", "demo", "embed.go")); err != nil {
			fmt.Fprintln(os.Stderr, "gen: run it from the repository root (go run ./examples/demo/gen), or name the output folder: go run ./examples/demo/gen DIR")
			os.Exit(2)
		}
	case 2:
		dir = os.Args[1]
	default:
		fmt.Fprintln(os.Stderr, "usage: go run ./examples/demo/gen [DIR]")
		os.Exit(2)
	}
	if err := datagen.Write(dir); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
