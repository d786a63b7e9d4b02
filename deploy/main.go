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
	"path/filepath"
	"sort"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
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
	dir, err := synthesize(app)
	if err != nil {
		return err
	}
	errs, err := AssemblyErrors(dir)
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		return fmt.Errorf("%d error(s) in the synthesized stacks:\n%s", len(errs), strings.Join(errs, "\n"))
	}
	return nil
}

// synthesize writes the cloud assembly and returns its folder. The CDK throws
// (a panic here) when its validation report has errors: that becomes an error.
func synthesize(app awscdk.App) (dir string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("synthesis failed: %v", r)
		}
	}()
	return *app.Synth(nil).Directory(), nil
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

// AssemblyErrors lists the error annotations of every stack of the cloud
// assembly in dir and of its nested assemblies (the pipeline's stages), read
// from the manifests: cdk-nag's unsuppressed findings are among them.
func AssemblyErrors(dir string) ([]string, error) {
	stacks, err := ReadAssembly(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, st := range stacks {
		out = append(out, st.Errors...)
	}
	return out, nil
}

// AssemblyStack is one stack of a synthesized cloud assembly.
type AssemblyStack struct {
	Name     string         // the CloudFormation stack name
	Template map[string]any // the template
	Errors   []string       // "path: message" of each error annotation
}

// manifest is the part of a cloud assembly's manifest.json read here.
type manifest struct {
	Artifacts map[string]struct {
		Type        string `json:"type"`
		DisplayName string `json:"displayName"`
		Properties  struct {
			TemplateFile  string `json:"templateFile"`
			StackName     string `json:"stackName"`
			DirectoryName string `json:"directoryName"`
		} `json:"properties"`
		Metadata               map[string][]metadataEntry `json:"metadata"`
		AdditionalMetadataFile string                     `json:"additionalMetadataFile"`
	} `json:"artifacts"`
}

type metadataEntry struct {
	Type string `json:"type"`
	Data any    `json:"data"`
}

// ReadAssembly reads every stack of the cloud assembly in dir and its nested
// assemblies, sorted by name.
func ReadAssembly(dir string) ([]AssemblyStack, error) {
	var m manifest
	if err := readJSON(filepath.Join(dir, "manifest.json"), &m); err != nil {
		return nil, err
	}
	var out []AssemblyStack
	for id, a := range m.Artifacts {
		switch a.Type {
		case "cdk:cloud-assembly":
			nested, err := ReadAssembly(filepath.Join(dir, a.Properties.DirectoryName))
			if err != nil {
				return nil, err
			}
			out = append(out, nested...)
		case "aws:cloudformation:stack":
			st := AssemblyStack{Name: a.Properties.StackName}
			if st.Name == "" {
				st.Name = id
			}
			if err := readJSON(filepath.Join(dir, a.Properties.TemplateFile), &st.Template); err != nil {
				return nil, err
			}
			md := a.Metadata
			if a.AdditionalMetadataFile != "" {
				if err := readJSON(filepath.Join(dir, a.AdditionalMetadataFile), &md); err != nil {
					return nil, err
				}
			}
			for path, entries := range md {
				for _, e := range entries {
					if e.Type == "aws:cdk:error" {
						st.Errors = append(st.Errors, fmt.Sprintf("%s: %v", path, e.Data))
					}
				}
			}
			sort.Strings(st.Errors)
			out = append(out, st)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading the cloud assembly: %w", err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("reading the cloud assembly: %s: %w", path, err)
	}
	return nil
}
