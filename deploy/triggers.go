package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3deployment"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Triggers are the EventBridge rules that start etl runs, generated from the
// project's pipeline specs, and the upload of those specs to the bucket.
type Triggers struct {
	Schedules map[string]awsevents.Rule // by pipeline
	Arrivals  map[string]awsevents.Rule // by pipeline
	Specs     awss3deployment.BucketDeployment
}

// NewTriggers builds one schedule rule per pipeline with schedule: (its input
// {"pipeline": name}, the etl handler's direct invoke) and one rule per pipeline
// without, on the bucket's Object Created events under its source.path (the
// input is the S3 event; etl maps the key to its pipelines). Each target retries
// and then sends the event to the triggers' dead-letter queue.
func NewTriggers(scope constructs.Construct, id string, cfg Config, plan *Plan, st *Storage, fns *Functions) *Triggers {
	c := constructs.NewConstruct(scope, jsii.String(id))
	t := &Triggers{Schedules: map[string]awsevents.Rule{}, Arrivals: map[string]awsevents.Rule{}}
	target := func(input awsevents.RuleTargetInput) awsevents.IRuleTarget {
		return awseventstargets.NewLambdaFunction(fns.Etl, &awseventstargets.LambdaFunctionProps{
			Event:           input,
			RetryAttempts:   jsii.Number(4),
			MaxEventAge:     awscdk.Duration_Hours(jsii.Number(2)),
			DeadLetterQueue: fns.TriggerFailure,
		})
	}
	for _, s := range plan.Schedules {
		t.Schedules[s.Pipeline] = awsevents.NewRule(c, jsii.String("Schedule-"+s.Pipeline), &awsevents.RuleProps{
			Description: jsii.String("Sluice: run pipeline " + s.Pipeline + " on " + s.Expression),
			Schedule:    awsevents.Schedule_Expression(jsii.String(s.Expression)),
			Targets: &[]awsevents.IRuleTarget{target(awsevents.RuleTargetInput_FromObject(map[string]any{
				"pipeline": s.Pipeline, "trigger": "schedule",
			}))},
		})
	}
	for _, a := range plan.Arrivals {
		t.Arrivals[a.Pipeline] = awsevents.NewRule(c, jsii.String("Arrival-"+a.Pipeline), &awsevents.RuleProps{
			Description: jsii.String("Sluice: run pipeline " + a.Pipeline + " when files arrive under " + a.KeyPrefix),
			EventPattern: &awsevents.EventPattern{
				Source:     jsii.Strings("aws.s3"),
				DetailType: jsii.Strings("Object Created"),
				Detail: &map[string]any{
					"bucket": map[string]any{"name": []any{st.Bucket.BucketName()}},
					"object": map[string]any{"key": []any{map[string]any{"prefix": a.KeyPrefix}}},
				},
			},
			Targets: &[]awsevents.IRuleTarget{target(nil)},
		})
	}

	// The specs go to the prefix SLUICE_PIPELINES names, in the same deployment
	// as the rules made from them; prune removes the specs of deleted pipelines.
	logs := awslogs.NewLogGroup(c, jsii.String("SpecUploadLogs"), &awslogs.LogGroupProps{
		Retention:     retention(cfg.LogRetentionDays),
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	t.Specs = awss3deployment.NewBucketDeployment(c, jsii.String("Specs"), &awss3deployment.BucketDeploymentProps{
		DestinationBucket:    st.Bucket,
		DestinationKeyPrefix: jsii.String(PipelinesPrefix),
		Sources:              &[]awss3deployment.ISource{awss3deployment.Source_Asset(jsii.String(plan.PipelinesDir), nil)},
		Exclude:              jsii.Strings("*"),
		Include:              jsii.Strings("*.yaml", "*.yml"),
		Prune:                jsii.Bool(true),
		RetainOnDelete:       jsii.Bool(false),
		LogGroup:             logs,
		MemoryLimit:          jsii.Number(256),
	})
	return t
}
