package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
)

// Config is everything the app reads from CDK context (cdk.json, -c key=value).
// Only this file reads context; the constructs take a Config. Each field's
// comment names its context key and default.
type Config struct {
	StackName string // stackName: the application stack's name; default Sluice
	Account   string // account: the AWS account; default none (environment-agnostic)
	Region    string // region: the AWS region; default none (environment-agnostic)

	Project  string // project: the Sluice project folder read at synth time; default ../examples/demo
	Asset    string // asset: bootstrap.zip or a folder holding only bootstrap; default ../dist/bootstrap.zip
	Insights string // insights: folder of *.query Logs Insights queries; default ../ops/insights

	// NatGateways is natGateways: 0 (default) gives isolated subnets reached
	// through VPC endpoints only; 1 or more gives private subnets with egress
	// through that many NAT gateways (needed only if the functions must reach
	// the internet, such as a JWKS URL of the app's own JWT check).
	NatGateways int
	MaxAzs      int // maxAzs: availability zones of the VPC; default 2

	Engine          string // engine: postgres (default) or mysql
	DBName          string // dbName: the database; default sluice
	DBInstanceClass string // dbInstanceClass: instance class and size; default t4g.micro
	DBStorageGiB    int    // dbStorageGiB: allocated storage; default 20
	DBMaxStorageGiB int    // dbMaxStorageGiB: storage autoscaling limit; default 100
	MultiAz         bool   // multiAz: a standby in a second zone; default false
	BackupDays      int    // backupDays: automated backup retention; default 7
	RotationDays    int    // rotationDays: how often the database password rotates; default 30

	LogRetentionDays  int // logRetentionDays: every log group's retention; default 30
	RejectsExpireDays int // rejectsExpireDays: when objects under _rejects/ expire; default 90

	EtlMemoryMiB   int // etlMemory: default 1024
	ApiMemoryMiB   int // apiMemory: default 512
	EtlConcurrency int // etlConcurrency: reserved concurrency; default 5; 0 reserves none
	ApiConcurrency int // apiConcurrency: reserved concurrency; default 20; 0 reserves none

	ThrottleRate  float64 // apiThrottleRate: steady requests a second of the stage; default 50
	ThrottleBurst int     // apiThrottleBurst: burst of the stage; default 100
	JWTIssuer     string  // jwtIssuer: with jwtAudience, a JWT authorizer on every route but /healthz; default none
	JWTAudience   string  // jwtAudience: comma-separated audiences; default none

	AlarmEmail   string  // alarmEmail: address subscribed to the alarm topic; default none
	ApiP99Ms     float64 // apiP99Ms: p99 latency alarm threshold in ms; default 3000
	DBMaxConns   int     // dbMaxConnections: DatabaseConnections alarm threshold; default 60
	DBMinFreeGiB float64 // dbMinFreeGiB: FreeStorageSpace alarm threshold; default 2
	DBMinMemMiB  float64 // dbMinFreeMemoryMiB: FreeableMemory alarm threshold; default 128

	Pipeline Pipeline // the CI/CD pipeline, when pipeline=true

	// Given holds the context keys above that were set, with their values, so
	// that the pipeline's synth step passes them on.
	Given map[string]string
}

// Pipeline configures the CDK Pipelines stack.
type Pipeline struct {
	Enabled       bool   // pipeline: add the pipeline stack; default false
	StackName     string // pipelineStackName: default the stack name and Pipeline (SluicePipeline)
	StageName     string // stageName: the application stage deployed by the pipeline; default Prod
	ConnectionArn string // connectionArn: a CodeStar connection (GitHub, Bitbucket, GitLab); default none
	Repo          string // repo: owner/name with connectionArn, or the CodeCommit repository name; default sluice
	Branch        string // branch: default main
	// SmokeKeyParam is smokeKeyParameter: the SSM SecureString parameter holding
	// an API key (scope read) the smoke test sends; default /sluice/smoke-test/api-key.
	SmokeKeyParam string
	TestCommand   string // testCommand: what the synth step runs before building; default make test
}

// contextDefaults are the defaults of the context keys above.
var contextDefaults = map[string]string{
	"stackName": "Sluice", "project": "../examples/demo", "asset": "../dist/bootstrap.zip", "insights": "../ops/insights",
	"natGateways": "0", "maxAzs": "2",
	"engine": "postgres", "dbName": "sluice", "dbInstanceClass": "t4g.micro", "dbStorageGiB": "20", "dbMaxStorageGiB": "100",
	"multiAz": "false", "backupDays": "7", "rotationDays": "30",
	"logRetentionDays": "30", "rejectsExpireDays": "90",
	"etlMemory": "1024", "apiMemory": "512", "etlConcurrency": "5", "apiConcurrency": "20",
	"apiThrottleRate": "50", "apiThrottleBurst": "100",
	"apiP99Ms": "3000", "dbMaxConnections": "60", "dbMinFreeGiB": "2", "dbMinFreeMemoryMiB": "128",
	"pipeline": "false", "stageName": "Prod", "repo": "sluice", "branch": "main",
	"smokeKeyParameter": "/sluice/smoke-test/api-key", "testCommand": "make test",
}

// ConfigFromContext reads the Config from the context of scope. Every bad value
// is reported, joined.
func ConfigFromContext(scope constructs.Construct) (Config, error) {
	r := contextReader{get: func(k string) any { return scope.Node().TryGetContext(&k) }}
	return r.config()
}

// ConfigFromMap reads the Config from a map of context values, as tests give it.
func ConfigFromMap(m map[string]any) (Config, error) {
	r := contextReader{get: func(k string) any { return m[k] }}
	return r.config()
}

type contextReader struct {
	get   func(string) any
	errs  []string
	given map[string]string
}

func (r *contextReader) str(key string) string {
	v := r.get(key)
	if v == nil {
		return contextDefaults[key]
	}
	s := strings.TrimSpace(fmt.Sprint(v))
	if r.given == nil {
		r.given = map[string]string{}
	}
	r.given[key] = s
	return s
}

func (r *contextReader) int(key string, min int) int {
	s := r.str(key)
	n, err := strconv.Atoi(s)
	if err != nil || n < min {
		r.errs = append(r.errs, fmt.Sprintf("context %s: %q is not a whole number of at least %d", key, s, min))
	}
	return n
}

func (r *contextReader) float(key string) float64 {
	s := r.str(key)
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 {
		r.errs = append(r.errs, fmt.Sprintf("context %s: %q is not a number of at least 0", key, s))
	}
	return f
}

func (r *contextReader) bool(key string) bool {
	s := r.str(key)
	b, err := strconv.ParseBool(s)
	if err != nil {
		r.errs = append(r.errs, fmt.Sprintf("context %s: %q is not true or false", key, s))
	}
	return b
}

func (r *contextReader) config() (Config, error) {
	c := Config{
		StackName: r.str("stackName"), Account: r.str("account"), Region: r.str("region"),
		Project: r.str("project"), Asset: r.str("asset"), Insights: r.str("insights"),
		NatGateways: r.int("natGateways", 0), MaxAzs: r.int("maxAzs", 2),
		Engine: strings.ToLower(r.str("engine")), DBName: r.str("dbName"), DBInstanceClass: r.str("dbInstanceClass"),
		DBStorageGiB: r.int("dbStorageGiB", 20), DBMaxStorageGiB: r.int("dbMaxStorageGiB", 20),
		MultiAz: r.bool("multiAz"), BackupDays: r.int("backupDays", 1), RotationDays: r.int("rotationDays", 1),
		LogRetentionDays: r.int("logRetentionDays", 1), RejectsExpireDays: r.int("rejectsExpireDays", 1),
		EtlMemoryMiB: r.int("etlMemory", 128), ApiMemoryMiB: r.int("apiMemory", 128),
		EtlConcurrency: r.int("etlConcurrency", 0), ApiConcurrency: r.int("apiConcurrency", 0),
		ThrottleRate: r.float("apiThrottleRate"), ThrottleBurst: r.int("apiThrottleBurst", 1),
		JWTIssuer: r.str("jwtIssuer"), JWTAudience: r.str("jwtAudience"),
		AlarmEmail: r.str("alarmEmail"), ApiP99Ms: r.float("apiP99Ms"), DBMaxConns: r.int("dbMaxConnections", 1),
		DBMinFreeGiB: r.float("dbMinFreeGiB"), DBMinMemMiB: r.float("dbMinFreeMemoryMiB"),
		Pipeline: Pipeline{
			Enabled: r.bool("pipeline"), StackName: r.str("pipelineStackName"), StageName: r.str("stageName"),
			ConnectionArn: r.str("connectionArn"), Repo: r.str("repo"), Branch: r.str("branch"),
			SmokeKeyParam: r.str("smokeKeyParameter"), TestCommand: r.str("testCommand"),
		},
	}
	if c.Pipeline.StackName == "" {
		c.Pipeline.StackName = c.StackName + "Pipeline"
	}
	c.Given = r.given
	if c.Engine != "postgres" && c.Engine != "mysql" {
		r.errs = append(r.errs, fmt.Sprintf("context engine: %q is neither postgres nor mysql", c.Engine))
	}
	if (c.JWTIssuer == "") != (c.JWTAudience == "") {
		r.errs = append(r.errs, "context jwtIssuer and jwtAudience: give both for a JWT authorizer, or neither")
	}
	if c.JWTIssuer != "" && !strings.HasPrefix(c.JWTIssuer, "https://") {
		r.errs = append(r.errs, fmt.Sprintf("context jwtIssuer: %q is not an https:// URL", c.JWTIssuer))
	}
	if c.DBMaxStorageGiB < c.DBStorageGiB {
		r.errs = append(r.errs, fmt.Sprintf("context dbMaxStorageGiB: %d is below dbStorageGiB %d", c.DBMaxStorageGiB, c.DBStorageGiB))
	}
	if len(r.errs) > 0 {
		return c, fmt.Errorf("%s", strings.Join(r.errs, "\n"))
	}
	return c, nil
}

// Env is the stacks' environment: environment-agnostic unless account or region
// is set, so that synth needs no credentials and does no lookups.
func (c Config) Env() *awscdk.Environment {
	if c.Account == "" && c.Region == "" {
		return nil
	}
	e := &awscdk.Environment{}
	if c.Account != "" {
		e.Account = &c.Account
	}
	if c.Region != "" {
		e.Region = &c.Region
	}
	return e
}

// DBPort is the port clients use: the proxy listens on the engine's port.
func (c Config) DBPort() int {
	if c.Engine == "mysql" {
		return 3306
	}
	return 5432
}
