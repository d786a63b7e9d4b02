package main

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// Suppression is one cdk-nag finding that does not apply, with the reason.
// AppliesTo narrows a granular finding (IAM4, IAM5) to the exact action,
// resource or policy named; empty means the rule as a whole.
type Suppression struct {
	Rule      string
	Reason    string
	AppliesTo []string
}

func (s Suppression) nag() *cdknag.NagPackSuppression {
	p := &cdknag.NagPackSuppression{Id: jsii.String(s.Rule), Reason: jsii.String(s.Reason)}
	if len(s.AppliesTo) > 0 {
		a := make([]any, len(s.AppliesTo))
		for i, v := range s.AppliesTo {
			a[i] = v
		}
		p.AppliesTo = &a
	}
	return p
}

// suppressOn adds suppressions to a construct and its children.
func suppressOn(c constructs.IConstruct, ss ...Suppression) {
	list := make([]*cdknag.NagPackSuppression, len(ss))
	for i, s := range ss {
		list[i] = s.nag()
	}
	cdknag.NagSuppressions_AddResourceSuppressions(c, &list, jsii.Bool(true))
}

// objectsOf is how cdk-nag names the ARN of objects under prefix in bucket b,
// as an IAM5 finding's resource.
func objectsOf(b awss3.Bucket, prefix string) string {
	cfn := b.Node().DefaultChild().(awss3.CfnBucket)
	return "Resource::<" + *awscdk.Stack_Of(b).GetLogicalId(cfn) + ".Arn>/" + prefix + "*"
}

// suppress adds the application stack's cdk-nag suppressions, each on the one
// resource it concerns, naming its rule and saying why the finding does not
// apply. TestWildcards checks the same list against the policies.
func suppress(s *SluiceStack, cfg Config) {
	fns, b := s.Functions, s.Storage.Bucket
	eni := Suppression{"AwsSolutions-IAM5", "Lambda attaches VPC functions through network interfaces; ec2:Describe* has no resource-level permissions and the create/delete actions act on interfaces that do not exist yet, so AWSLambdaVPCAccessExecutionRole grants them on * too", []string{"Resource::*"}}
	suppressOn(fns.EtlRole, eni, Suppression{"AwsSolutions-IAM5",
		"etl reads source files wherever the pipeline specs point in the data bucket (source.path is per pipeline and changes without a deployment) and writes only keys starting with _ (Sluice's own output: _rejects/)",
		[]string{objectsOf(b, ""), objectsOf(b, "_")}})
	suppressOn(fns.ApiRole, eni, Suppression{"AwsSolutions-IAM5",
		"api reads the pipeline specs under " + PipelinesPrefix + " and the rejected rows under " + RejectsPrefix + "; object keys below a prefix can only be named with a trailing *",
		[]string{objectsOf(b, PipelinesPrefix), objectsOf(b, RejectsPrefix)}})
	for _, q := range []constructs.IConstruct{fns.EtlFailures, fns.TriggerFailure} {
		suppressOn(q, Suppression{Rule: "AwsSolutions-SQS3", Reason: "this queue is itself a dead-letter queue (etl's on-failure destination, the EventBridge targets' DLQ); its depth has an alarm"})
	}
	suppressOn(s.API.Http.Node().FindChild(jsii.String("GET--healthz")), Suppression{Rule: "AwsSolutions-APIG4", Reason: "GET /healthz is the public liveness check of load balancers and the pipeline's smoke test; it returns no data"})
	if cfg.JWTIssuer == "" {
		suppressOn(s.API.Http.Node().FindChild(jsii.String("DefaultRoute")), Suppression{Rule: "AwsSolutions-APIG4", Reason: "without jwtIssuer the api function authenticates every /v1 route itself with the project's API keys (Authorization: Bearer, scoped, hashed in the catalog); set jwtIssuer and jwtAudience for a JWT authorizer at the gateway"})
	}
	db := s.Database.Instance
	suppressOn(db, Suppression{Rule: "AwsSolutions-RDS11", Reason: "the instance is reachable only from the RDS Proxy's security group in isolated subnets, and clients use the proxy, which listens on the engine's standard port anyway; a non-standard port would hide nothing"})
	if !cfg.MultiAz {
		suppressOn(db, Suppression{Rule: "AwsSolutions-RDS3", Reason: "Multi-AZ doubles the instance cost; it is the context key multiAz (false by default for trial and development deployments; set -c multiAz=true in production)"})
	}
	for _, child := range *s.Stack.Node().Children() {
		if strings.HasPrefix(*child.Node().Id(), "Custom::CDKBucketDeployment") {
			suppressOn(child,
				Suppression{Rule: "AwsSolutions-L1", Reason: "the CDK's BucketDeployment handler (which uploads the pipeline specs at deploy time) pins its own Python runtime; the CDK upgrades it"},
				Suppression{"AwsSolutions-IAM4", "the CDK's BucketDeployment handler writes its logs with AWSLambdaBasicExecutionRole (to the log group SpecUploadLogs)", []string{"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"}},
				Suppression{"AwsSolutions-IAM5", "the CDK's BucketDeployment handler copies the specs from the CDK asset bucket to the data bucket and prunes old ones (prefix " + PipelinesPrefix + "); the grants are the CDK's own, scoped to those two buckets and the data key", []string{
					"Action::s3:GetBucket*", "Action::s3:GetObject*", "Action::s3:List*", "Action::s3:Abort*", "Action::s3:DeleteObject*",
					"Action::kms:GenerateDataKey*", "Action::kms:ReEncrypt*", objectsOf(b, ""),
					"Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*",
				}})
		}
	}
}
