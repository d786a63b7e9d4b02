// Command sluice loads files from object storage into a database through
// declarative transform steps, and serves the result. Run `sluice help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/sluice-data/sluice/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
