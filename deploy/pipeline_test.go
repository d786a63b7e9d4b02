package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// buildSpecs returns the build commands of each CodeBuild project, by logical id.
func buildSpecs(t *testing.T, raw map[string]any) map[string]string {
	out := map[string]string{}
	for id, p := range resources(raw, "AWS::CodeBuild::Project") {
		src := props(p)["Source"].(map[string]any)
		out[id], _ = src["BuildSpec"].(string)
	}
	return out
}

func TestPipeline(t *testing.T) {
	s := app(t)
	raw := s.raw["SluicePipeline"]
	specs := buildSpecs(t, raw)
	var synthSpec, smokeSpec, mutateSpec string
	for id, spec := range specs {
		switch {
		case strings.Contains(id, "Synth"):
			synthSpec = spec
		case strings.Contains(id, "SmokeTest"):
			smokeSpec = spec
		case strings.Contains(id, "SelfMutation"):
			mutateSpec = spec
		}
	}
	for _, want := range []string{`"make test"`, `"make lambda"`, "npm ci && npx cdk synth", "-c 'pipeline=true'", "-c 'repo=acme/sluice'", `"base-directory": "deploy/cdk.out"`} {
		if !strings.Contains(synthSpec, want) {
			t.Errorf("synth step has no %s:\n%s", want, synthSpec)
		}
	}
	if strings.Contains(synthSpec, "asset=") {
		t.Errorf("the synth step passes on the local asset path:\n%s", synthSpec)
	}
	for _, want := range []string{"/healthz", "/v1/datasets", "Authorization: Bearer $KEY", "aws ssm get-parameter"} {
		if !strings.Contains(smokeSpec, want) {
			t.Errorf("smoke test has no %s:\n%s", want, smokeSpec)
		}
	}
	if !strings.Contains(mutateSpec, "aws-cdk@"+cdkCLIVersion) {
		t.Errorf("self-mutation does not install the pinned CLI:\n%s", mutateSpec)
	}

	// The source is the connection; the stage deploys Prod-Sluice; the smoke
	// test gets the API's URL from the stack output and may read the key.
	pipelines := resources(raw, "AWS::CodePipeline::Pipeline")
	if len(pipelines) != 1 {
		t.Fatalf("%d pipelines", len(pipelines))
	}
	body, _ := json.Marshal(pipelines)
	for _, want := range []string{`"Provider":"CodeStarSourceConnection"`, `"FullRepositoryId":"acme/sluice"`, `"BranchName":"main"`, `"StackName":"Prod-Sluice"`, `"name":"API_URL"`, `.ApiUrl}`} {
		if !strings.Contains(strings.ReplaceAll(string(body), `\"`, `"`), want) {
			t.Errorf("pipeline has no %s", want)
		}
	}
	smokeRole := false
	for _, p := range resources(raw, "AWS::IAM::Policy") {
		doc, _ := json.Marshal(props(p)["PolicyDocument"])
		if strings.Contains(string(doc), `"ssm:GetParameter"`) && strings.Contains(string(doc), `:parameter/sluice/smoke-test/api-key`) {
			smokeRole = true
		}
	}
	if !smokeRole {
		t.Error("no policy lets the smoke test read /sluice/smoke-test/api-key")
	}
	// The stage holds the whole application.
	stage := s.raw["Prod-Sluice"]
	if stage == nil || len(resources(stage, "AWS::Lambda::Function")) != len(resources(s.raw["Sluice"], "AWS::Lambda::Function")) {
		t.Error("the pipeline's stage does not hold the application stack")
	}
}

func TestCLIVersionPinned(t *testing.T) {
	data, err := os.ReadFile("package.json")
	if err != nil {
		t.Fatal(err)
	}
	var pkg struct {
		DevDependencies map[string]string `json:"devDependencies"`
	}
	if err := json.Unmarshal(data, &pkg); err != nil {
		t.Fatal(err)
	}
	if got := pkg.DevDependencies["aws-cdk"]; got != cdkCLIVersion {
		t.Errorf("package.json pins aws-cdk %q, the pipeline %q: keep them equal", got, cdkCLIVersion)
	}
}

// TestVariant synthesizes the options: MySQL, Multi-AZ, a JWT authorizer, a
// NAT gateway, no reserved concurrency, CodeCommit as the pipeline's source.
func TestVariant(t *testing.T) {
	s := synth(t, "variant", map[string]any{
		"engine": "mysql", "multiAz": "true", "jwtIssuer": "https://login.example.com/", "jwtAudience": "sluice-api, sluice-cli",
		"natGateways": "1", "etlConcurrency": "0", "pipeline": "true", "stackName": "Data",
	})
	if len(s.errors) > 0 {
		t.Errorf("cdk-nag or synthesis errors:\n%s", strings.Join(s.errors, "\n"))
	}
	raw, tmpl := s.raw["Data"], s.templates["Data"]
	if raw == nil {
		t.Fatalf("no stack Data: %v", keys(s.raw))
	}
	check(t, "mysql TLS", func() {
		tmpl.HasResourceProperties(str("AWS::RDS::DBParameterGroup"), like("Parameters", obj("require_secure_transport", "ON")))
	})
	check(t, "mysql instance", func() {
		tmpl.HasResourceProperties(str("AWS::RDS::DBInstance"), like("Engine", "mysql", "MultiAZ", true, "DBInstanceIdentifier", "data-db", "StorageEncrypted", true))
	})
	check(t, "mysql proxy", func() {
		tmpl.HasResourceProperties(str("AWS::RDS::DBProxy"), like("EngineFamily", "MYSQL", "RequireTLS", true))
	})
	for _, db := range resources(raw, "AWS::RDS::DBInstance") {
		if r := suppressionReason(db, "AwsSolutions-RDS3"); r != "" {
			t.Errorf("Multi-AZ is on, yet RDS3 is suppressed: %s", r)
		}
	}
	for _, f := range resources(raw, "AWS::Lambda::Function") {
		p := props(f)
		if p["Handler"] != "etl" && p["Handler"] != "api" {
			continue
		}
		url := render(p["Environment"].(map[string]any)["Variables"].(map[string]any)["SLUICE_DATABASE_URL"])
		if !strings.HasPrefix(url, "mysql://<") || !strings.Contains(url, ">:3306/sluice?secret=<") || !strings.HasSuffix(url, "&tls=true") {
			t.Errorf("%s: SLUICE_DATABASE_URL = %s", p["Handler"], url)
		}
		if _, reserved := p["ReservedConcurrentExecutions"]; reserved == (p["Handler"] == "etl") {
			t.Errorf("%s: reserved concurrency %v", p["Handler"], p["ReservedConcurrentExecutions"])
		}
	}
	check(t, "JWT authorizer", func() {
		tmpl.HasResourceProperties(str("AWS::ApiGatewayV2::Authorizer"), like("AuthorizerType", "JWT",
			"JwtConfiguration", like("Issuer", "https://login.example.com/", "Audience", []any{"sluice-api", "sluice-cli"})))
	})
	routes := map[string]string{}
	for _, r := range resources(raw, "AWS::ApiGatewayV2::Route") {
		routes[props(r)["RouteKey"].(string)] = props(r)["AuthorizationType"].(string)
	}
	if want := map[string]string{"$default": "JWT", "GET /healthz": "NONE"}; !equalMaps(routes, want) {
		t.Errorf("routes %v, want %v", routes, want)
	}
	if n := len(resources(raw, "AWS::EC2::NatGateway")); n != 1 {
		t.Errorf("%d NAT gateways, want 1", n)
	}
	// CodeCommit is the source without connectionArn.
	body, _ := json.Marshal(resources(s.raw["DataPipeline"], "AWS::CodePipeline::Pipeline"))
	if !strings.Contains(string(body), `"Provider":"CodeCommit"`) || !strings.Contains(string(body), `"RepositoryName":"sluice"`) {
		t.Errorf("pipeline source is not the CodeCommit repository sluice")
	}
}
