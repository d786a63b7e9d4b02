package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodebuild"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodecommit"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/pipelines"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// The CLIs the pipeline installs: the CDK CLI of package.json (a test keeps
// them equal) for self-mutation, and cdk-assets for publishing assets.
const (
	cdkCLIVersion    = "2.1149.0"
	cdkAssetsVersion = "4.7.3"
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
	// The artifacts (source, cloud assembly) in a bucket of the same standard
	// as the data bucket: a rotating key, TLS only, no public access, logged.
	key := awskms.NewKey(stack, jsii.String("ArtifactsKey"), &awskms.KeyProps{
		Description:       jsii.String("Sluice pipeline artifacts"),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     awscdk.RemovalPolicy_DESTROY,
	})
	logs := awss3.NewBucket(stack, jsii.String("ArtifactsAccessLogs"), &awss3.BucketProps{
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		EnforceSSL:        jsii.Bool(true),
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		LifecycleRules:    &[]*awss3.LifecycleRule{{Expiration: awscdk.Duration_Days(jsii.Number(90))}},
		RemovalPolicy:     awscdk.RemovalPolicy_RETAIN,
	})
	artifacts := awss3.NewBucket(stack, jsii.String("Artifacts"), &awss3.BucketProps{
		Encryption:             awss3.BucketEncryption_KMS,
		EncryptionKey:          key,
		BucketKeyEnabled:       jsii.Bool(true),
		EnforceSSL:             jsii.Bool(true),
		BlockPublicAccess:      awss3.BlockPublicAccess_BLOCK_ALL(),
		ObjectOwnership:        awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		ServerAccessLogsBucket: logs,
		LifecycleRules:         &[]*awss3.LifecycleRule{{Expiration: awscdk.Duration_Days(jsii.Number(90))}},
		RemovalPolicy:          awscdk.RemovalPolicy_DESTROY,
		AutoDeleteObjects:      jsii.Bool(false),
	})
	cp := pipelines.NewCodePipeline(stack, jsii.String("Pipeline"), &pipelines.CodePipelineProps{
		PipelineName:        jsii.String(*stack.StackName()),
		Synth:               synth,
		ArtifactBucket:      artifacts,
		CliVersion:          jsii.String(cdkCLIVersion),
		CdkAssetsCliVersion: jsii.String(cdkAssetsVersion),
		CodeBuildDefaults: &pipelines.CodeBuildOptions{
			BuildEnvironment: &awscodebuild.BuildEnvironment{
				BuildImage:  awscodebuild.LinuxBuildImage_STANDARD_7_0(),
				ComputeType: awscodebuild.ComputeType_MEDIUM,
			},
			Timeout: awscdk.Duration_Minutes(jsii.Number(60)),
		},
	})

	stage := awscdk.NewStage(stack, jsii.String(p.StageName), &awscdk.StageProps{Env: cfg.Env()})
	AddChecks(stage)
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
	suppressPipeline(stack, cp, logs)
	// cfn-lint's E3703 checks a deploy action's RoleArn as an ARN string and
	// reports the CDK's Fn::Join of partition, account and region (the
	// bootstrap's cdk-*-cfn-exec-role) as "prefer Fn::Sub": true of every CDK
	// pipeline, and harmless.
	cp.Pipeline().Node().DefaultChild().(awscdk.CfnResource).AddMetadata(jsii.String("cfn-lint"),
		map[string]any{"config": map[string]any{"ignore_checks": []string{"E3703"}}})
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

// suppressPipeline adds the pipeline stack's cdk-nag suppressions: the
// findings are in the roles CDK Pipelines makes for itself.
func suppressPipeline(stack awscdk.Stack, cp pipelines.CodePipeline, logs awss3.Bucket) {
	suppressOn(cp, Suppression{Rule: "AwsSolutions-IAM5", Reason: "CDK Pipelines' own roles: read/write on its artifact bucket's objects, its CodeBuild projects' log groups and report groups (named with a trailing *), and the CDK bootstrap roles (cdk-*) it assumes to publish assets and deploy"})
	suppressOn(logs, Suppression{Rule: "AwsSolutions-S1", Reason: "this bucket receives the artifact bucket's server access logs; logging it too would only log the logging"})
}
