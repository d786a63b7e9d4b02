package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// The stack tests synthesize each variant once per test binary (jsii runs the
// CDK in a node process: a synth takes seconds) and share it. They do not run
// in parallel: the jsii runtime serializes its calls anyway.

// synthesized is one synthesized app: the assembly and, by stack name, each
// stack's template, raw and wrapped for the assertions library.
type synthesized struct {
	cfg       Config
	dir       string // the cloud assembly
	errors    []string
	raw       map[string]map[string]any
	templates map[string]assertions.Template
	err       error
}

var (
	variants   sync.Map // name → *synthesized
	variantsMu sync.Mutex
	assetOnce  sync.Once
	assetDir   string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if assetDir != "" {
		os.RemoveAll(assetDir)
	}
	os.Exit(code)
}

// testAsset is a folder holding a placeholder bootstrap: the tests do not need
// the real binary (`make lambda`), only an asset to hash.
func testAsset(t *testing.T) string {
	assetOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sluice-deploy-asset-")
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, "bootstrap"), []byte("#!/bin/sh\n# placeholder for tests\n"), 0o755)
		}
		if err != nil {
			panic(err)
		}
		assetDir = dir
	})
	return assetDir
}

// cdkJSONContext is the context of cdk.json (the feature flags among it), so
// that the tests synthesize what `cdk synth` does.
func cdkJSONContext(t *testing.T) map[string]any {
	data, err := os.ReadFile("cdk.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	return f.Context
}

// synth returns the app synthesized with cdk.json's context, the test project
// and the extra context, once per name.
func synth(t *testing.T, name string, extra map[string]any) *synthesized {
	t.Helper()
	variantsMu.Lock()
	defer variantsMu.Unlock()
	if v, ok := variants.Load(name); ok {
		s := v.(*synthesized)
		if s.err != nil {
			t.Fatal(s.err)
		}
		return s
	}
	ctx := cdkJSONContext(t)
	ctx["project"], ctx["asset"], ctx["insights"] = testProject, testAsset(t), testInsights
	for k, v := range extra {
		ctx[k] = v
	}
	s := &synthesized{raw: map[string]map[string]any{}, templates: map[string]assertions.Template{}}
	func() {
		defer func() {
			if r := recover(); r != nil {
				s.err = fmt.Errorf("synth panicked: %v", r)
			}
		}()
		app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx})
		if s.cfg, s.err = ConfigFromContext(app); s.err != nil {
			return
		}
		if s.err = Build(app, s.cfg); s.err != nil {
			return
		}
		s.dir = *app.Synth(nil).Directory()
		var stacks []AssemblyStack
		if stacks, s.err = ReadAssembly(s.dir); s.err != nil {
			return
		}
		for _, st := range stacks {
			s.raw[st.Name] = st.Template
			s.templates[st.Name] = assertions.Template_FromJSON(&st.Template, nil)
			s.errors = append(s.errors, st.Errors...)
		}
	}()
	variants.Store(name, s)
	if s.err != nil {
		t.Fatal(s.err)
	}
	return s
}

// check runs an assertion of the assertions library, which panics on failure,
// as a test error.
func check(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s: %v", what, r)
		}
	}()
	f()
}

// resources returns the resources of a type in a raw template, by logical id.
func resources(tmpl map[string]any, typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range tmpl["Resources"].(map[string]any) {
		r := r.(map[string]any)
		if r["Type"] == typ {
			out[id] = r
		}
	}
	return out
}

// props returns a resource's Properties.
func props(r map[string]any) map[string]any {
	p, _ := r["Properties"].(map[string]any)
	return p
}

// ids returns the sorted keys of a map of resources.
func ids(m map[string]map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// render turns a CloudFormation value into the string cdk-nag shows in its
// findings: Ref X is <X>, Fn::GetAtt [X, Arn] is <X.Arn>, Fn::Join is joined,
// Fn::Sub's ${X} is <X>.
func render(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case map[string]any:
		if r, ok := v["Ref"].(string); ok {
			return "<" + r + ">"
		}
		if g, ok := v["Fn::GetAtt"].([]any); ok && len(g) == 2 {
			return "<" + render(g[0]) + "." + render(g[1]) + ">"
		}
		if j, ok := v["Fn::Join"].([]any); ok && len(j) == 2 {
			var parts []string
			for _, p := range j[1].([]any) {
				parts = append(parts, render(p))
			}
			return strings.Join(parts, render(j[0]))
		}
		if sub, ok := v["Fn::Sub"].(string); ok {
			return subVar.ReplaceAllString(sub, "<$1>")
		}
		if i, ok := v["Fn::ImportValue"]; ok {
			return "<import " + render(i) + ">"
		}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

var subVar = regexp.MustCompile(`\$\{([^}]+)\}`)

// list returns v as a list: CloudFormation allows one value where a list is meant.
func list(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	if v == nil {
		return nil
	}
	return []any{v}
}

func obj(pairs ...any) *map[string]any {
	m := map[string]any{}
	for i := 0; i < len(pairs); i += 2 {
		m[pairs[i].(string)] = pairs[i+1]
	}
	return &m
}

func like(pairs ...any) assertions.Matcher { return assertions.Match_ObjectLike(obj(pairs...)) }

func arrayWith(items ...any) assertions.Matcher { return assertions.Match_ArrayWith(&items) }

var anyValue = assertions.Match_AnyValue

// str is jsii.String for brevity.
var str = jsii.String
