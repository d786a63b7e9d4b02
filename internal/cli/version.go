package cli

import (
	"context"
	"fmt"
	"runtime/debug"

	"github.com/spf13/pflag"
)

func init() {
	register(&command{
		name:    "version",
		summary: "print the version of sluice",
		flags:   func(*pflag.FlagSet) any { return nil },
		run: func(_ context.Context, env *Env, _ any, _ []string) error {
			fmt.Fprintf(env.Stdout, "sluice %s\n", version())
			return nil
		},
	})
}

// version is the module version and VCS revision the binary was built from.
func version() string {
	v := "(devel)"
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " " + s.Value[:12]
			}
		}
	}
	return v
}
