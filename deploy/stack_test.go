package main

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"
)

// app is the default variant: PostgreSQL, no JWT authorizer, the pipeline.
func app(t *testing.T) *synthesized {
	return synth(t, "default", map[string]any{"pipeline": "true", "alarmEmail": "ops@example.com", "repo": "acme/sluice",
		"connectionArn": "arn:aws:codeconnections:eu-west-1:123456789012:connection/0000"})
}

func sluice(t *testing.T) (map[string]any, *synthesized) {
	s := app(t)
	return s.raw["Sluice"], s
}

func TestNoUnsuppressedFindings(t *testing.T) {
	s := app(t)
	if len(s.errors) > 0 {
		t.Errorf("cdk-nag or synthesis errors:\n%s", strings.Join(s.errors, "\n"))
	}
	for _, name := range []string{"Sluice", "SluicePipeline", "Prod-Sluice"} {
		if s.raw[name] == nil {
			t.Errorf("stack %s not synthesized; stacks: %v", name, keys(s.raw))
		}
	}
}

// TestFindingsFailSynthesis shows the gate works: a bucket without TLS
// enforcement or access logs is an error of the assembly.
func TestFindingsFailSynthesis(t *testing.T) {
	variantsMu.Lock()
	defer variantsMu.Unlock()
	a := awscdk.NewApp(nil)
	st := awscdk.NewStack(a, jsii.String("Bad"), nil)
	awss3.NewBucket(st, jsii.String("Open"), nil)
	AddChecks(a)
	errs, err := AssemblyErrors(*a.Synth(nil).Directory())
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(errs, "\n")
	if !strings.Contains(joined, "AwsSolutions-S10") || !strings.Contains(joined, "AwsSolutions-S1:") {
		t.Errorf("errors of a bucket without TLS and logs:\n%s", joined)
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestFunctions(t *testing.T) {
	raw, s := sluice(t)
	tmpl := s.templates["Sluice"]
	fns := resources(raw, "AWS::Lambda::Function")
	byHandler := map[string]map[string]any{}
	for _, f := range fns {
		if h, _ := props(f)["Handler"].(string); h == "etl" || h == "api" {
			byHandler[h] = props(f)
		}
	}
	if len(byHandler) != 2 {
		t.Fatalf("functions with handler etl and api: %v", keys(byHandler))
	}
	for h, reserved := range map[string]float64{"etl": 5, "api": 20} {
		check(t, h, func() {
			tmpl.HasResourceProperties(str("AWS::Lambda::Function"), like(
				"Handler", h,
				"Runtime", "provided.al2023",
				"Architectures", []any{"arm64"},
				"LoggingConfig", like("LogFormat", "JSON", "LogGroup", anyValue()),
				"ReservedConcurrentExecutions", reserved,
				"VpcConfig", like("SubnetIds", anyValue(), "SecurityGroupIds", anyValue()),
			))
		})
		env, _ := byHandler[h]["Environment"].(map[string]any)["Variables"].(map[string]any)
		url := render(env["SLUICE_DATABASE_URL"])
		if !regexp.MustCompile(`^postgres://<DatabaseInstanceProxy\w+\.Endpoint>:5432/sluice\?secret=<DatabaseInstanceSecretAttachment\w+>&sslmode=require$`).MatchString(url) {
			t.Errorf("%s: SLUICE_DATABASE_URL = %s", h, url)
		}
		for k, want := range map[string]string{
			"SLUICE_STORAGE_URL":       "s3://<StorageBucket5CB7C8EA>/",
			"SLUICE_PIPELINES":         "s3://<StorageBucket5CB7C8EA>/config/pipelines/",
			"SLUICE_METRICS_NAMESPACE": "Sluice",
		} {
			if got := render(env[k]); got != want {
				t.Errorf("%s: %s = %s, want %s", h, k, got, want)
			}
		}
		if _, ok := env["SLUICE_ETL_FUNCTION"]; ok != (h == "api") {
			t.Errorf("%s: SLUICE_ETL_FUNCTION set: %v", h, ok)
		}
	}
	if got := render(byHandler["api"]["Environment"].(map[string]any)["Variables"].(map[string]any)["SLUICE_ETL_FUNCTION"]); !strings.HasPrefix(got, "<Functionsetl") {
		t.Errorf("api's SLUICE_ETL_FUNCTION = %s, want the etl function", got)
	}
	// Each function has a role of its own.
	if r1, r2 := render(byHandler["etl"]["Role"]), render(byHandler["api"]["Role"]); r1 == r2 {
		t.Errorf("etl and api share the role %s", r1)
	}
	// etl's asynchronous invocations retry twice, then go to the encrypted queue.
	check(t, "etl async config", func() {
		tmpl.HasResourceProperties(str("AWS::Lambda::EventInvokeConfig"), like(
			"MaximumRetryAttempts", 2,
			"DestinationConfig", like("OnFailure", like("Destination", like("Fn::GetAtt", arrayWith(assertionsStringLike("FunctionsEtlFailures")))))))
	})
	for id, lg := range resources(raw, "AWS::Logs::LogGroup") {
		if props(lg)["RetentionInDays"] == nil {
			t.Errorf("log group %s keeps logs forever", id)
		}
	}
}

// assertionsStringLike matches a string that starts with prefix.
func assertionsStringLike(prefix string) any {
	return assertions.Match_StringLikeRegexp(str("^" + regexp.QuoteMeta(prefix)))
}

func TestNetwork(t *testing.T) {
	raw, s := sluice(t)
	endpoints := map[string]int{}
	for _, e := range resources(raw, "AWS::EC2::VPCEndpoint") {
		endpoints[props(e)["VpcEndpointType"].(string)+" "+render(props(e)["ServiceName"])]++
	}
	for _, want := range []string{"Interface com.amazonaws.<AWS::Region>.secretsmanager", "Interface com.amazonaws.<AWS::Region>.logs", "Interface com.amazonaws.<AWS::Region>.lambda"} {
		if endpoints[want] != 1 {
			t.Errorf("no %s endpoint: %v", want, endpoints)
		}
	}
	if len(endpoints) != 4 {
		t.Errorf("endpoints %v, want S3 (gateway), Secrets Manager, Logs and Lambda", endpoints)
	}
	check(t, "flow logs", func() {
		s.templates["Sluice"].HasResourceProperties(str("AWS::EC2::FlowLog"), like("LogDestinationType", "s3", "TrafficType", "ALL", "ResourceType", "VPC"))
	})
}

func TestDatabase(t *testing.T) {
	raw, s := sluice(t)
	tmpl := s.templates["Sluice"]
	check(t, "instance", func() {
		tmpl.HasResource(str("AWS::RDS::DBInstance"), like(
			"Properties", like("Engine", "postgres", "MultiAZ", false, "BackupRetentionPeriod", 7, "DeletionProtection", true,
				"EnableIAMDatabaseAuthentication", true, "DBInstanceIdentifier", "sluice-db", "EnableCloudwatchLogsExports", []any{"postgresql"}),
			"DeletionPolicy", "Snapshot"))
	})
	check(t, "rotation", func() {
		tmpl.HasResourceProperties(str("AWS::SecretsManager::RotationSchedule"), like("RotationRules", like("ScheduleExpression", "rate(30 days)")))
	})
	check(t, "log group before RDS makes one", func() {
		tmpl.HasResourceProperties(str("AWS::Logs::LogGroup"), like("LogGroupName", "/aws/rds/instance/sluice-db/postgresql"))
	})
	// Multi-AZ is off by default, so its finding is suppressed; the reason says how to turn it on.
	for _, db := range resources(raw, "AWS::RDS::DBInstance") {
		if r := suppressionReason(db, "AwsSolutions-RDS3"); !strings.Contains(r, "multiAz") {
			t.Errorf("RDS3 suppression reason %q does not name the multiAz context key", r)
		}
	}
}

func TestTriggers(t *testing.T) {
	raw, s := sluice(t)
	rules := resources(raw, "AWS::Events::Rule")
	schedules := map[string]map[string]any{}
	var arrivals []map[string]any
	for _, r := range rules {
		p := props(r)
		if p["ScheduleExpression"] != nil {
			target := list(p["Targets"])[0].(map[string]any)
			var input map[string]any
			if err := json.Unmarshal([]byte(target["Input"].(string)), &input); err != nil {
				t.Fatal(err)
			}
			schedules[input["pipeline"].(string)] = p
		} else {
			arrivals = append(arrivals, p)
		}
	}
	want := map[string]string{"clicks": "rate(1 hour)", "invoices": "cron(30 4 ? * MON-FRI *)"}
	if len(schedules) != len(want) {
		t.Errorf("schedule rules for %v, want clicks and invoices only", keys(schedules))
	}
	for pl, expr := range want {
		p := schedules[pl]
		if p == nil {
			t.Errorf("no schedule rule for %s", pl)
			continue
		}
		if p["ScheduleExpression"] != expr {
			t.Errorf("%s: schedule %v, want %s", pl, p["ScheduleExpression"], expr)
		}
	}
	if len(arrivals) != 1 {
		t.Fatalf("%d arrival rules, want 1 (orders)", len(arrivals))
	}
	pattern, _ := json.Marshal(arrivals[0]["EventPattern"])
	if want := `{"detail":{"bucket":{"name":[{"Ref":"StorageBucket5CB7C8EA"}]},"object":{"key":[{"prefix":"incoming/orders/"}]}},"detail-type":["Object Created"],"source":["aws.s3"]}`; string(pattern) != want {
		t.Errorf("arrival pattern %s\nwant %s", pattern, want)
	}
	for _, r := range rules {
		for _, target := range list(props(r)["Targets"]) {
			target := target.(map[string]any)
			if !strings.HasPrefix(render(target["Arn"]), "<Functionsetl") || target["RetryPolicy"] == nil ||
				!strings.HasPrefix(render(target["DeadLetterConfig"].(map[string]any)["Arn"]), "<FunctionsTriggerFailures") {
				t.Errorf("rule target %v: want etl with retries and the dead-letter queue", target)
			}
		}
	}
	tmpl := s.templates["Sluice"]
	check(t, "bucket events to EventBridge", func() {
		tmpl.HasResourceProperties(str("AWS::S3::Bucket"), like("NotificationConfiguration", like("EventBridgeConfiguration", like("EventBridgeEnabled", true))))
	})
	check(t, "specs uploaded", func() {
		tmpl.HasResourceProperties(str("Custom::CDKBucketDeployment"), like("DestinationBucketKeyPrefix", "config/pipelines/", "Prune", true))
	})
	check(t, "rejects expire", func() {
		tmpl.HasResourceProperties(str("AWS::S3::Bucket"), like("LifecycleConfiguration", like("Rules", arrayWith(like("Prefix", "_rejects/", "ExpirationInDays", 90, "Status", "Enabled")))))
	})
}

func TestAPI(t *testing.T) {
	raw, s := sluice(t)
	tmpl := s.templates["Sluice"]
	check(t, "stage", func() {
		tmpl.HasResourceProperties(str("AWS::ApiGatewayV2::Stage"), like(
			"StageName", "$default",
			"AutoDeploy", true,
			"DefaultRouteSettings", like("ThrottlingBurstLimit", 100, "ThrottlingRateLimit", 50),
			"AccessLogSettings", like("DestinationArn", like("Fn::GetAtt", arrayWith(assertionsStringLike("ApiAccessLogs"))), "Format", anyValue()),
		))
	})
	for _, st := range resources(raw, "AWS::ApiGatewayV2::Stage") {
		var format map[string]string
		if err := json.Unmarshal([]byte(props(st)["AccessLogSettings"].(map[string]any)["Format"].(string)), &format); err != nil || format["request_id"] != "$context.requestId" || format["status"] != "$context.status" {
			t.Errorf("access log format %v (%v)", format, err)
		}
	}
	routes := map[string]string{}
	for _, r := range resources(raw, "AWS::ApiGatewayV2::Route") {
		routes[props(r)["RouteKey"].(string)] = props(r)["AuthorizationType"].(string)
	}
	if want := map[string]string{"$default": "NONE", "GET /healthz": "NONE"}; !equalMaps(routes, want) {
		t.Errorf("routes %v, want %v", routes, want)
	}
	if len(resources(raw, "AWS::ApiGatewayV2::Authorizer")) != 0 {
		t.Error("an authorizer without jwtIssuer")
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// suppressionReason returns the reason of a resource's cdk-nag suppression of rule.
func suppressionReason(r map[string]any, rule string) string {
	for _, s := range suppressions(r) {
		if s.Rule == rule {
			return s.Reason
		}
	}
	return ""
}

// suppressions reads a resource's cdk-nag suppressions from its metadata.
func suppressions(r map[string]any) []Suppression {
	md, _ := r["Metadata"].(map[string]any)
	nag, _ := md["cdk_nag"].(map[string]any)
	var out []Suppression
	for _, s := range list(nag["rules_to_suppress"]) {
		s := s.(map[string]any)
		sup := Suppression{Rule: s["id"].(string), Reason: s["reason"].(string)}
		for _, a := range list(s["applies_to"]) {
			if str, ok := a.(string); ok {
				sup.AppliesTo = append(sup.AppliesTo, str)
			}
		}
		out = append(out, sup)
	}
	return out
}

func TestSuppressionsHaveReasons(t *testing.T) {
	s := app(t)
	n := 0
	for name, raw := range s.raw {
		for id, r := range raw["Resources"].(map[string]any) {
			for _, sup := range suppressions(r.(map[string]any)) {
				n++
				if !strings.HasPrefix(sup.Rule, "AwsSolutions-") || len(sup.Reason) < 40 {
					t.Errorf("%s/%s: suppression %s with reason %q: name the rule and say why", name, id, sup.Rule, sup.Reason)
				}
			}
		}
	}
	if n == 0 {
		t.Error("no suppressions found: the metadata moved?")
	}
}
