package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// SluiceStack is the whole of one Sluice deployment: network, storage,
// database, functions, API, triggers and monitoring. Stateful resources (the key,
// the buckets, the database) are retained or snapshotted when the stack goes.
type SluiceStack struct {
	awscdk.Stack
	Storage    *Storage
	Network    *Network
	Database   *Database
	Functions  *Functions
	API        *API
	Triggers   *Triggers
	Monitoring *Monitoring
	// ApiURL is the stack output with the API's URL, for the smoke test.
	ApiURL awscdk.CfnOutput
}

// NewSluiceStack builds the stack from cfg and the project's plan.
func NewSluiceStack(scope constructs.Construct, id string, cfg Config, plan *Plan, props *awscdk.StackProps) *SluiceStack {
	stack := awscdk.NewStack(scope, jsii.String(id), props)
	s := &SluiceStack{Stack: stack}
	s.Storage = NewStorage(stack, "Storage", cfg)
	s.Network = NewNetwork(stack, "Network", cfg, s.Storage.LogBucket)
	s.Database = NewDatabase(stack, "Database", cfg, s.Network, s.Storage.Key)
	s.Functions = NewFunctions(stack, "Functions", cfg, s.Storage, s.Network, s.Database)
	s.API = NewAPI(stack, "Api", cfg, s.Functions.Api)
	s.Triggers = NewTriggers(stack, "Triggers", cfg, plan, s.Storage, s.Functions)
	s.Monitoring = NewMonitoring(stack, "Monitoring", cfg, plan, s.Storage, s.Database, s.Functions, s.API)
	suppress(s, cfg)

	s.ApiURL = awscdk.NewCfnOutput(stack, jsii.String("ApiUrl"), &awscdk.CfnOutputProps{
		Description: jsii.String("The HTTP API's URL"), Value: s.API.URL,
	})
	for name, v := range map[string]*string{
		"BucketName":     s.Storage.Bucket.BucketName(),
		"EtlFunction":    s.Functions.Etl.FunctionName(),
		"ApiFunction":    s.Functions.Api.FunctionName(),
		"DatabaseProxy":  s.Database.Proxy.Endpoint(),
		"DatabaseSecret": s.Database.Instance.Secret().SecretArn(),
		"AlarmTopic":     s.Monitoring.Topic.TopicArn(),
	} {
		awscdk.NewCfnOutput(stack, jsii.String(name), &awscdk.CfnOutputProps{Value: v})
	}
	return s
}
