package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodebuild"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodecommit"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/pipelines"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// PipelineStack is the CDK Pipelines stack: source, a synth step that tests and
// builds, the application stage, and a smoke test after it.
type PipelineStack struct {
	awscdk.Stack
	Pipeline pipelines.CodePipeline
	App      *SluiceStack // the application stack in the stage
}

// NewPipelineStack builds the pipeline. The source is a CodeStar connection
// (connectionArn with repo owner/name) or, without connectionArn, the CodeCommit
// repository named repo. The synth step runs the same context it was created
// with, so that the pipeline's own update (self-mutation) keeps it.
func NewPipelineStack(scope constructs.Construct, id string, cfg Config, plan *Plan) *PipelineStack {
	stack := awscdk.NewStack(scope, jsii.String(id), &awscdk.StackProps{
		Env:         cfg.Env(),
		Description: jsii.String("Sluice: CI/CD pipeline (CDK Pipelines)"),
	})
	p := cfg.Pipeline
	var source pipelines.CodePipelineSource
	if p.ConnectionArn != "" {
		source = pipelines.CodePipelineSource_Connection(jsii.String(p.Repo), jsii.String(p.Branch), &pipelines.ConnectionSourceOptions{
			ConnectionArn:        jsii.String(p.ConnectionArn),
			TriggerOnPush:        jsii.Bool(true),
			CodeBuildCloneOutput: jsii.Bool(true), // git history for Go's VCS stamping and the tests
		})
	} else {
		repo := awscodecommit.Repository_FromRepositoryName(stack, jsii.String("Repo"), jsii.String(p.Repo))
		source = pipelines.CodePipelineSource_CodeCommit(repo, jsii.String(p.Branch), nil)
	}

	synth := pipelines.NewShellStep(jsii.String("Synth"), &pipelines.ShellStepProps{
		Input: source,
		Env: &map[string]*string{
			"JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": jsii.String("20"),
			"CDK_DISABLE_VERSION_CHECK":                     jsii.String("1"),
			"GOTOOLCHAIN":                                   jsii.String("auto"),
		},
		InstallCommands: jsii.Strings("go version", "node --version"),
		Commands: jsii.Strings(
			p.TestCommand,
			"make lambda",
			"cd deploy && npm ci && npx cdk synth --no-notices -q "+synthContext(cfg),
		),
		PrimaryOutputDirectory: jsii.String("deploy/cdk.out"),
	})
	cp := pipelines.NewCodePipeline(stack, jsii.String("Pipeline"), &pipelines.CodePipelineProps{
		PipelineName:      jsii.String(*stack.StackName()),
		Synth:             synth,
		CrossAccountKeys:  jsii.Bool(false),
		EnableKeyRotation: jsii.Bool(true),
		CodeBuildDefaults: &pipelines.CodeBuildOptions{
			BuildEnvironment: &awscodebuild.BuildEnvironment{
				BuildImage:  awscodebuild.LinuxBuildImage_STANDARD_7_0(),
				ComputeType: awscodebuild.ComputeType_MEDIUM,
			},
			Timeout: awscdk.Duration_Minutes(jsii.Number(60)),
		},
	})

	stage := awscdk.NewStage(stack, jsii.String(p.StageName), &awscdk.StageProps{Env: cfg.Env()})
	app := NewSluiceStack(stage, cfg.StackName, cfg, plan, &awscdk.StackProps{
		Description: jsii.String("Sluice: serverless ETL and data API"),
	})
	smoke := pipelines.NewCodeBuildStep(jsii.String("SmokeTest"), &pipelines.CodeBuildStepProps{
		EnvFromCfnOutputs: &map[string]awscdk.CfnOutput{"API_URL": app.ApiURL},
		Env:               &map[string]*string{"SMOKE_KEY_PARAMETER": jsii.String(p.SmokeKeyParam)},
		Commands: jsii.Strings(
			`curl -fsS --retry 5 --retry-delay 10 --retry-all-errors "${API_URL%/}/healthz"`,
			`KEY=$(aws ssm get-parameter --name "$SMOKE_KEY_PARAMETER" --with-decryption --query Parameter.Value --output text) && curl -fsS -o /dev/null -w "GET /v1/datasets: %{http_code}\n" -H "Authorization: Bearer $KEY" "${API_URL%/}/v1/datasets"`,
		),
		RolePolicyStatements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings("ssm:GetParameter"),
			Resources: jsii.Strings(fmt.Sprintf("arn:%s:ssm:%s:%s:parameter/%s",
				*stack.Partition(), *stack.Region(), *stack.Account(), strings.TrimPrefix(p.SmokeKeyParam, "/"))),
		})},
	})
	cp.AddStage(stage, &pipelines.AddStageOpts{Post: &[]pipelines.Step{smoke}})
	cp.BuildPipeline()
	return &PipelineStack{Stack: stack, Pipeline: cp, App: app}
}

// synthContext is the -c flags of the context the pipeline was created with, so
// that its synth step builds the same app.
func synthContext(cfg Config) string {
	given := map[string]string{}
	for k, v := range cfg.Given {
		if k != "asset" { // the synth step builds its own, at the default path
			given[k] = v
		}
	}
	given["pipeline"] = "true"
	keys := make([]string, 0, len(given))
	for k := range given {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("-c " + shellQuote(k+"="+given[k]))
	}
	return b.String()
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
