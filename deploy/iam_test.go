package main

import (
	"slices"
	"strings"
	"testing"
)

// wildcardAllowList is every wildcard the functions' own policies may hold,
// by role: what TestWildcards accepts besides a cdk-nag suppression naming it.
// Keep it in step with suppress in nag.go.
var wildcardAllowList = map[string][]string{
	"FunctionsEtlRole": {"Resource::*", "Resource::<StorageBucket5CB7C8EA.Arn>/*", "Resource::<StorageBucket5CB7C8EA.Arn>/_*"},
	"FunctionsApiRole": {"Resource::*", "Resource::<StorageBucket5CB7C8EA.Arn>/config/pipelines/*", "Resource::<StorageBucket5CB7C8EA.Arn>/_rejects/*"},
}

// wildcards returns the wildcards of a policy document as cdk-nag names them
// (Action::s3:Get*, Resource::<X.Arn>/*), with the statements' actions for a
// Resource::* so that the test can check them.
func wildcards(doc map[string]any) (found []string, starActions []string) {
	for _, st := range list(doc["Statement"]) {
		st := st.(map[string]any)
		if st["Effect"] != "Allow" {
			continue
		}
		var actions []string
		for _, a := range list(st["Action"]) {
			actions = append(actions, render(a))
			if strings.Contains(render(a), "*") {
				found = append(found, "Action::"+render(a))
			}
		}
		for _, r := range list(st["Resource"]) {
			if s := render(r); strings.Contains(s, "*") {
				found = append(found, "Resource::"+s)
				if s == "*" {
					starActions = append(starActions, actions...)
				}
			}
		}
	}
	return found, starActions
}

// TestWildcards walks every IAM policy statement of every stack: a wildcard in
// an action or a resource must be suppressed for AwsSolutions-IAM5 on that
// resource, with a reason; in the functions' roles it must also be on the
// allow-list, and * resources only for the VPC network-interface actions.
func TestWildcards(t *testing.T) {
	s := app(t)
	for name, raw := range s.raw {
		for id, r := range raw["Resources"].(map[string]any) {
			r := r.(map[string]any)
			var docs []map[string]any
			switch r["Type"] {
			case "AWS::IAM::Policy":
				docs = append(docs, props(r)["PolicyDocument"].(map[string]any))
			case "AWS::IAM::Role":
				for _, p := range list(props(r)["Policies"]) {
					docs = append(docs, p.(map[string]any)["PolicyDocument"].(map[string]any))
				}
			default:
				continue
			}
			sups := suppressions(r)
			for _, doc := range docs {
				found, starActions := wildcards(doc)
				for _, w := range found {
					if !suppressed(sups, w) {
						t.Errorf("%s/%s: wildcard %s without an AwsSolutions-IAM5 suppression", name, id, w)
					}
				}
				for prefix, allowed := range wildcardAllowList {
					if !strings.HasPrefix(id, prefix) {
						continue
					}
					for _, w := range found {
						if !slices.Contains(allowed, w) {
							t.Errorf("%s/%s: wildcard %s is not on the allow-list", name, id, w)
						}
					}
					for _, a := range starActions {
						if !slices.Contains(eniActions, a) {
							t.Errorf("%s/%s: %s granted on *", name, id, a)
						}
					}
				}
			}
		}
	}
	// The allow-list names real policies: the functions' roles were found.
	raw := s.raw["Sluice"]
	for prefix := range wildcardAllowList {
		n := 0
		for id := range resources(raw, "AWS::IAM::Policy") {
			if strings.HasPrefix(id, prefix) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d policies of %s", n, prefix)
		}
	}
}

func suppressed(sups []Suppression, finding string) bool {
	for _, s := range sups {
		if s.Rule != "AwsSolutions-IAM5" || len(s.Reason) < 40 {
			continue
		}
		if len(s.AppliesTo) == 0 || slices.Contains(s.AppliesTo, finding) {
			return true
		}
	}
	return false
}

func TestFunctionPolicies(t *testing.T) {
	raw, _ := sluice(t)
	actions := map[string][]string{}
	for id, p := range resources(raw, "AWS::IAM::Policy") {
		for prefix, role := range map[string]string{"FunctionsEtlRole": "etl", "FunctionsApiRole": "api"} {
			if !strings.HasPrefix(id, prefix) {
				continue
			}
			for _, st := range list(props(p)["PolicyDocument"].(map[string]any)["Statement"]) {
				for _, a := range list(st.(map[string]any)["Action"]) {
					if !slices.Contains(eniActions, a.(string)) {
						actions[role] = append(actions[role], a.(string))
					}
				}
			}
		}
	}
	want := map[string][]string{
		"etl": {"kms:Decrypt", "kms:GenerateDataKey", "logs:CreateLogStream", "logs:PutLogEvents", "s3:GetObject", "s3:ListBucket", "s3:PutObject", "secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue", "sqs:SendMessage"},
		"api": {"kms:Decrypt", "lambda:InvokeFunction", "logs:CreateLogStream", "logs:PutLogEvents", "s3:GetObject", "s3:ListBucket", "secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"},
	}
	for role, w := range want {
		got := actions[role]
		slices.Sort(got)
		got = slices.Compact(got)
		if !slices.Equal(got, w) {
			t.Errorf("%s may %v\nwant %v", role, got, w)
		}
	}
}
