// Command deploy is Sluice's AWS CDK app (DESIGN §6): the application stack
// (network, storage, database, functions, API, triggers generated from the
// project's pipeline specs, monitoring) and, with -c pipeline=true, the CDK
// Pipelines stack that tests, builds and deploys it. The cdk-nag AwsSolutions
// checks run on every stack; any unsuppressed finding fails synthesis. It has
// its own module so that the CDK never reaches the Lambda binary.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

func main() {
	defer jsii.Close()
	if err := run(awscdk.NewApp(nil)); err != nil {
		fmt.Fprintln(os.Stderr, "deploy:", err)
		os.Exit(1)
	}
}

// run builds the app's stacks, synthesizes them and fails on any error
// annotation (cdk-nag's findings among them).
func run(app awscdk.App) error {
	cfg, err := ConfigFromContext(app)
	if err != nil {
		return err
	}
	if err := Build(app, cfg); err != nil {
		return err
	}
	asm := app.Synth(nil)
	if errs := AssemblyErrors(asm); len(errs) > 0 {
		return fmt.Errorf("%d error(s) in the synthesized stacks:\n%s", len(errs), strings.Join(errs, "\n"))
	}
	return nil
}

// Build adds the stacks cfg asks for to app and applies the cdk-nag checks.
func Build(app awscdk.App, cfg Config) error {
	plan, err := LoadPlan(cfg.Project, cfg.Insights)
	if err != nil {
		return err
	}
	if err := CheckAsset(cfg.Asset); err != nil {
		return err
	}
	NewSluiceStack(app, cfg.StackName, cfg, plan, &awscdk.StackProps{
		Env:         cfg.Env(),
		Description: jsii.String("Sluice: serverless ETL and data API"),
	})
	if cfg.Pipeline.Enabled {
		NewPipelineStack(app, cfg.Pipeline.StackName, cfg, plan)
	}
	AddChecks(app)
	return nil
}

// AddChecks applies the cdk-nag AwsSolutions checks to scope. Aspects do not
// cross into nested stages, so the pipeline's application stage gets its own.
func AddChecks(scope constructs.IConstruct) {
	awscdk.Aspects_Of(scope).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
}

// AssemblyErrors lists the error messages of every stack of the assembly and of
// its nested assemblies (the pipeline's stages).
func AssemblyErrors(asm cxapi.CloudAssembly) []string {
	var out []string
	for _, a := range *asm.Artifacts() {
		if nested, ok := a.(cxapi.NestedCloudAssemblyArtifact); ok {
			out = append(out, AssemblyErrors(nested.NestedAssembly())...)
		}
		for _, m := range *a.Messages() {
			if m.Level == cxapi.SynthesisMessageLevel_ERROR {
				out = append(out, fmt.Sprintf("%s: %s", *m.Id, entryText(m.Entry.Data)))
			}
		}
	}
	return out
}

// entryText is an annotation's message.
func entryText(data any) string {
	if s, ok := data.(*string); ok && s != nil {
		return *s
	}
	if s, ok := data.(string); ok {
		return s
	}
	b, _ := json.Marshal(data)
	return string(b)
}
