package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"

	"github.com/sluice-data/sluice/internal/api"
)

type keysFlags struct {
	projectFlags
	name   string
	scopes []string
	json   bool
}

func init() {
	register(&command{
		name:    "keys",
		usage:   "create --name NAME --scope SCOPE... | list | revoke ID|NAME  [--project DIR]",
		summary: "create, list and revoke API keys",
		help: `API keys authenticate requests to the REST API (Authorization: Bearer KEY).
A key is printed once, when it is created; only its SHA-256 is stored.

Scopes:
  read            read every dataset, pipeline and run
  read:DATASET    read one dataset
  run             start pipeline runs; read pipelines and runs
  admin           everything

  sluice keys create --name dashboards --scope read:orders --scope read:customers
  sluice keys list
  sluice keys revoke dashboards

A revoked key stops working within 5 seconds on running servers.`,
		flags: func(fs *pflag.FlagSet) any {
			f := &keysFlags{}
			f.register(fs)
			fs.StringVar(&f.name, "name", "", "create: a unique name for the key (who or what uses it)")
			fs.StringSliceVar(&f.scopes, "scope", nil, "create: a scope the key grants (repeat, or separate with commas)")
			fs.BoolVar(&f.json, "json", false, "print JSON")
			return f
		},
		run: runKeys,
	})
}

func runKeys(ctx context.Context, env *Env, o any, args []string) error {
	f := o.(*keysFlags)
	if len(args) == 0 {
		return usageError{"keys needs an action: create, list or revoke"}
	}
	action := args[0]
	switch action {
	case "create":
		if len(args) != 1 {
			return usageError{"keys create takes no arguments; use --name and --scope"}
		}
		if f.name == "" || len(f.name) > 128 || strings.ContainsAny(f.name, " \t\n") {
			return usageError{"keys create needs --name: a name without spaces, at most 128 characters"}
		}
		if len(f.scopes) == 0 {
			return usageError{"keys create needs at least one --scope: read, read:DATASET, run or admin"}
		}
		for _, s := range f.scopes {
			if !api.ValidScope(s) {
				return usageError{fmt.Sprintf("unknown scope %q: use read, read:DATASET, run or admin", s)}
			}
		}
	case "list":
		if len(args) != 1 {
			return usageError{"keys list takes no arguments"}
		}
	case "revoke":
		if len(args) != 2 {
			return usageError{"keys revoke takes one key id or name"}
		}
	default:
		return usageError{fmt.Sprintf("unknown keys action %q: use create, list or revoke", action)}
	}
	proj, err := loadProject(env, f.dir)
	if err != nil {
		return err
	}
	db, err := openDB(ctx, proj)
	if err != nil {
		return err
	}
	defer db.Close()
	cat := db.Catalog()
	switch action {
	case "create":
		k, secret, err := cat.CreateKey(ctx, f.name, f.scopes, time.Now())
		if err != nil {
			return err
		}
		if f.json {
			return json.NewEncoder(env.Stdout).Encode(map[string]any{"id": k.ID, "name": k.Name, "scopes": k.Scopes, "key": secret})
		}
		fmt.Fprintf(env.Stdout, "%s\n", secret)
		fmt.Fprintf(env.Stderr, "Created key %s (%s) with scopes %s.\nThis is the only time the key is shown: store it now.\n", k.Name, k.ID, strings.Join(k.Scopes, ", "))
		return nil
	case "revoke":
		k, err := cat.RevokeKey(ctx, args[1], time.Now())
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "revoked %s (%s)\n", k.Name, k.ID)
		return nil
	}
	keys, err := cat.Keys(ctx)
	if err != nil {
		return err
	}
	if f.json {
		enc := json.NewEncoder(env.Stdout)
		for _, k := range keys {
			if err := enc.Encode(k); err != nil {
				return err
			}
		}
		return nil
	}
	if len(keys) == 0 {
		fmt.Fprintln(env.Stdout, "No API keys. Create one with: sluice keys create --name NAME --scope read")
		return nil
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tSCOPES\tCREATED\tLAST USED\tSTATUS")
	for _, k := range keys {
		used, status := "never", "active"
		if k.LastUsedAt != nil {
			used = k.LastUsedAt.Format(time.RFC3339)
		}
		if k.RevokedAt != nil {
			status = "revoked " + k.RevokedAt.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Name, strings.Join(k.Scopes, ","), k.CreatedAt.Format(time.RFC3339), used, status)
	}
	return tw.Flush()
}
