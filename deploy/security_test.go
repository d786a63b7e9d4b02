package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// The security settings DESIGN §6 asks for: encryption at rest with the
// customer-managed key, TLS required everywhere, nothing public.

func TestEncryption(t *testing.T) {
	raw, s := sluice(t)
	tmpl := s.templates["Sluice"]
	check(t, "data bucket SSE-KMS", func() {
		tmpl.HasResourceProperties(str("AWS::S3::Bucket"), like("BucketEncryption", like(
			"ServerSideEncryptionConfiguration", []any{like(
				"ServerSideEncryptionByDefault", like("SSEAlgorithm", "aws:kms", "KMSMasterKeyID", anyValue()),
				"BucketKeyEnabled", true)})))
	})
	check(t, "key rotation", func() {
		tmpl.AllResourcesProperties(str("AWS::KMS::Key"), like("EnableKeyRotation", true))
	})
	check(t, "database storage", func() {
		tmpl.HasResourceProperties(str("AWS::RDS::DBInstance"), like("StorageEncrypted", true, "KmsKeyId", anyValue()))
	})
	for id, q := range resources(raw, "AWS::SQS::Queue") {
		if props(q)["KmsMasterKeyId"] == nil {
			t.Errorf("queue %s is not KMS-encrypted", id)
		}
	}
	for id, topic := range resources(raw, "AWS::SNS::Topic") {
		if props(topic)["KmsMasterKeyId"] == nil {
			t.Errorf("topic %s is not KMS-encrypted", id)
		}
	}
	if n := len(resources(raw, "AWS::SQS::Queue")); n != 2 {
		t.Errorf("%d queues, want the 2 dead-letter queues", n)
	}
}

// denyInsecure reports whether a policy document denies requests without TLS.
func denyInsecure(doc any) bool {
	for _, st := range list(doc.(map[string]any)["Statement"]) {
		st := st.(map[string]any)
		cond, _ := st["Condition"].(map[string]any)
		b, _ := cond["Bool"].(map[string]any)
		if st["Effect"] == "Deny" && (b["aws:SecureTransport"] == "false" || b["aws:SecureTransport"] == false) {
			return true
		}
	}
	return false
}

func TestTLS(t *testing.T) {
	raw, s := sluice(t)
	tmpl := s.templates["Sluice"]
	covered := map[string]bool{}
	for _, p := range resources(raw, "AWS::S3::BucketPolicy") {
		if denyInsecure(props(p)["PolicyDocument"]) {
			covered[render(props(p)["Bucket"])] = true
		}
	}
	for _, id := range ids(resources(raw, "AWS::S3::Bucket")) {
		if !covered["<"+id+">"] {
			t.Errorf("bucket %s does not deny requests without TLS", id)
		}
	}
	queues := map[string]bool{}
	for _, p := range resources(raw, "AWS::SQS::QueuePolicy") {
		if denyInsecure(props(p)["PolicyDocument"]) {
			for _, q := range list(props(p)["Queues"]) {
				queues[render(q)] = true
			}
		}
	}
	for _, id := range ids(resources(raw, "AWS::SQS::Queue")) {
		if !queues["<"+id+">"] {
			t.Errorf("queue %s does not deny requests without TLS", id)
		}
	}
	topicPolicies := resources(raw, "AWS::SNS::TopicPolicy")
	if len(topicPolicies) != 1 {
		t.Errorf("%d topic policies", len(topicPolicies))
	}
	for id, p := range topicPolicies {
		if !denyInsecure(props(p)["PolicyDocument"]) {
			t.Errorf("topic policy %s allows publishing without TLS", id)
		}
		doc, _ := json.Marshal(props(p)["PolicyDocument"])
		if !strings.Contains(string(doc), `"Principal":{"Service":"cloudwatch.amazonaws.com"}`) || !strings.Contains(string(doc), `"aws:SourceAccount"`) {
			t.Errorf("topic policy %s does not let this account's alarms publish: %s", id, doc)
		}
	}
	check(t, "rds.force_ssl", func() {
		tmpl.HasResourceProperties(str("AWS::RDS::DBParameterGroup"), like("Parameters", obj("rds.force_ssl", "1"), "Family", "postgres17"))
	})
	check(t, "proxy TLS", func() {
		tmpl.HasResourceProperties(str("AWS::RDS::DBProxy"), like("RequireTLS", true, "EngineFamily", "POSTGRESQL"))
	})
}

func TestNoPublicAccess(t *testing.T) {
	raw, _ := sluice(t)
	for id, b := range resources(raw, "AWS::S3::Bucket") {
		pab, _ := props(b)["PublicAccessBlockConfiguration"].(map[string]any)
		for _, k := range []string{"BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"} {
			if pab[k] != true {
				t.Errorf("bucket %s: %s is %v", id, k, pab[k])
			}
		}
	}
	for id, db := range resources(raw, "AWS::RDS::DBInstance") {
		if props(db)["PubliclyAccessible"] != false {
			t.Errorf("database %s is publicly accessible", id)
		}
	}
	for _, typ := range []string{"AWS::EC2::NatGateway", "AWS::EC2::InternetGateway", "AWS::EC2::EIP"} {
		if n := len(resources(raw, typ)); n != 0 {
			t.Errorf("%d %s in a VPC of isolated subnets", n, typ)
		}
	}
	for id, sn := range resources(raw, "AWS::EC2::Subnet") {
		if props(sn)["MapPublicIpOnLaunch"] == true {
			t.Errorf("subnet %s gives public addresses", id)
		}
	}
	ingress := resources(raw, "AWS::EC2::SecurityGroupIngress")
	for id, sg := range resources(raw, "AWS::EC2::SecurityGroup") {
		for _, in := range list(props(sg)["SecurityGroupIngress"]) {
			ingress[id] = map[string]any{"Properties": in}
		}
	}
	for id, in := range ingress {
		if cidr := props(in)["CidrIp"]; cidr == "0.0.0.0/0" || props(in)["CidrIpv6"] == "::/0" {
			t.Errorf("ingress %s open to the internet", id)
		}
	}
}
