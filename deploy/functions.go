package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Functions are the etl and api functions of the one bootstrap binary, each with
// its own role and log group, and the dead-letter queue of etl's asynchronous
// invocations (from the api function and from EventBridge).
type Functions struct {
	Etl, Api       awslambda.Function
	EtlLogs        awslogs.LogGroup
	ApiLogs        awslogs.LogGroup
	EtlRole        awsiam.Role
	ApiRole        awsiam.Role
	EtlFailures    awssqs.Queue // on-failure destination of etl's async invokes
	TriggerFailure awssqs.Queue // dead-letter queue of the EventBridge rules' targets
}

// eniActions are what Lambda needs from a function's role to attach it to the
// VPC; EC2 gives them no resource-level permissions (Describe*) or needs them
// on network interfaces Lambda creates, so they are granted on *.
var eniActions = []string{
	"ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets",
	"ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses",
}

// CheckAsset reports whether the asset is a bootstrap.zip or a folder holding an
// executable bootstrap, with the command that builds it when it is missing.
func CheckAsset(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("the Lambda asset %s does not exist: run `make lambda` at the repository root, or give -c asset=<bootstrap.zip or folder>", path)
	}
	if st.IsDir() {
		if _, err := os.Stat(filepath.Join(path, "bootstrap")); err != nil {
			return fmt.Errorf("the Lambda asset folder %s has no bootstrap: run `make lambda`", path)
		}
	}
	return nil
}

// NewFunctions builds the functions.
func NewFunctions(scope constructs.Construct, id string, cfg Config, st *Storage, net *Network, db *Database) *Functions {
	c := constructs.NewConstruct(scope, jsii.String(id))
	code := awslambda.Code_FromAsset(jsii.String(cfg.Asset), nil)
	f := &Functions{}

	queue := func(id string) awssqs.Queue {
		return awssqs.NewQueue(c, jsii.String(id), &awssqs.QueueProps{
			Encryption:          awssqs.QueueEncryption_KMS,
			EncryptionMasterKey: st.Key,
			DataKeyReuse:        awscdk.Duration_Hours(jsii.Number(24)),
			EnforceSSL:          jsii.Bool(true),
			RetentionPeriod:     awscdk.Duration_Days(jsii.Number(14)),
		})
	}
	f.EtlFailures = queue("EtlFailures")
	f.TriggerFailure = queue("TriggerFailures")

	bucketArn := *st.Bucket.BucketArn()
	objects := func(prefix string) *string { return jsii.String(bucketArn + "/" + prefix + "*") }
	common := func(role awsiam.Role, logs awslogs.LogGroup) {
		role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("Logs"),
			Actions:   jsii.Strings("logs:CreateLogStream", "logs:PutLogEvents"),
			Resources: &[]*string{logs.LogGroupArn()},
		}))
		role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("VpcAccess"),
			Actions:   jsii.Strings(eniActions...),
			Resources: jsii.Strings("*"),
		}))
		role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("DatabaseSecret"),
			Actions:   jsii.Strings("secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"),
			Resources: &[]*string{db.Instance.Secret().SecretArn()},
		}))
		role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("ListBucket"),
			Actions:   jsii.Strings("s3:ListBucket"),
			Resources: &[]*string{st.Bucket.BucketArn()},
		}))
	}
	fn := func(name string, memory, concurrency int, timeout awscdk.Duration, role awsiam.Role, logs awslogs.LogGroup, env map[string]*string) awslambda.Function {
		props := &awslambda.FunctionProps{
			Description:           jsii.String("Sluice " + name + " (one bootstrap binary; _HANDLER picks the handler)"),
			Code:                  code,
			Handler:               jsii.String(name),
			Runtime:               awslambda.Runtime_PROVIDED_AL2023(),
			Architecture:          awslambda.Architecture_ARM_64(),
			MemorySize:            jsii.Number(float64(memory)),
			Timeout:               timeout,
			Role:                  role,
			LogGroup:              logs,
			LoggingFormat:         awslambda.LoggingFormat_JSON,
			ApplicationLogLevelV2: awslambda.ApplicationLogLevel_INFO,
			SystemLogLevelV2:      awslambda.SystemLogLevel_INFO,
			Vpc:                   net.Vpc,
			VpcSubnets:            net.FnSubnets,
			SecurityGroups:        &[]awsec2.ISecurityGroup{net.FunctionsSG},
			Environment:           &env,
		}
		if concurrency > 0 {
			props.ReservedConcurrentExecutions = jsii.Number(float64(concurrency))
		}
		return awslambda.NewFunction(c, jsii.String(name), props)
	}
	logGroup := func(id string) awslogs.LogGroup {
		return awslogs.NewLogGroup(c, jsii.String(id), &awslogs.LogGroupProps{
			Retention:     retention(cfg.LogRetentionDays),
			RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
		})
	}
	role := func(id, what string) awsiam.Role {
		return awsiam.NewRole(c, jsii.String(id), &awsiam.RoleProps{
			AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
			Description: jsii.String("Sluice " + what + " function"),
		})
	}
	env := map[string]*string{
		"SLUICE_DATABASE_URL":      jsii.String(db.URL),
		"SLUICE_STORAGE_URL":       jsii.String("s3://" + *st.Bucket.BucketName() + "/"),
		"SLUICE_PIPELINES":         jsii.String("s3://" + *st.Bucket.BucketName() + "/" + PipelinesPrefix),
		"SLUICE_METRICS_NAMESPACE": jsii.String(metricNamespace),
		"SLUICE_LOG_FORMAT":        jsii.String("json"),
	}

	// etl reads sources anywhere in the bucket and writes only Sluice's own
	// output, whose keys start with _ (rejects).
	f.EtlLogs, f.EtlRole = logGroup("EtlLogs"), role("EtlRole", "etl")
	common(f.EtlRole, f.EtlLogs)
	f.EtlRole.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("ReadObjects"), Actions: jsii.Strings("s3:GetObject"), Resources: &[]*string{objects("")},
	}))
	f.EtlRole.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("WriteOutput"), Actions: jsii.Strings("s3:PutObject"), Resources: &[]*string{objects("_")},
	}))
	f.EtlRole.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("DataKey"), Actions: jsii.Strings("kms:Decrypt", "kms:GenerateDataKey"), Resources: &[]*string{st.Key.KeyArn()},
	}))
	f.EtlRole.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("FailureQueue"), Actions: jsii.Strings("sqs:SendMessage"), Resources: &[]*string{f.EtlFailures.QueueArn()},
	}))
	f.Etl = fn("etl", cfg.EtlMemoryMiB, cfg.EtlConcurrency, awscdk.Duration_Minutes(jsii.Number(15)), f.EtlRole, f.EtlLogs, env)
	// Written as the CloudFormation resource: the L2 destination grants the
	// role kms:GenerateDataKey* and kms:ReEncrypt*; the statements above grant
	// what sending to the encrypted queue needs.
	async := awslambda.NewCfnEventInvokeConfig(c, jsii.String("EtlAsync"), &awslambda.CfnEventInvokeConfigProps{
		FunctionName:             f.Etl.FunctionName(),
		Qualifier:                jsii.String("$LATEST"),
		MaximumRetryAttempts:     jsii.Number(2),
		MaximumEventAgeInSeconds: jsii.Number(6 * 3600),
		DestinationConfig: &awslambda.CfnEventInvokeConfig_DestinationConfigProperty{
			OnFailure: &awslambda.CfnEventInvokeConfig_OnFailureProperty{Destination: f.EtlFailures.QueueArn()},
		},
	})
	async.Node().AddDependency(f.EtlRole) // Lambda checks the role may send to the queue

	// api reads the specs and the rejects, and starts runs by invoking etl.
	f.ApiLogs, f.ApiRole = logGroup("ApiLogs"), role("ApiRole", "api")
	common(f.ApiRole, f.ApiLogs)
	f.ApiRole.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("ReadSpecsAndRejects"), Actions: jsii.Strings("s3:GetObject"), Resources: &[]*string{objects(PipelinesPrefix), objects(RejectsPrefix)},
	}))
	f.ApiRole.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("DataKey"), Actions: jsii.Strings("kms:Decrypt"), Resources: &[]*string{st.Key.KeyArn()},
	}))
	apiEnv := map[string]*string{"SLUICE_ETL_FUNCTION": nil}
	for k, v := range env {
		apiEnv[k] = v
	}
	apiEnv["SLUICE_ETL_FUNCTION"] = f.Etl.FunctionName()
	f.ApiRole.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("StartRuns"), Actions: jsii.Strings("lambda:InvokeFunction"), Resources: &[]*string{f.Etl.FunctionArn()},
	}))
	// The API Gateway integration times out at 30 s.
	f.Api = fn("api", cfg.ApiMemoryMiB, cfg.ApiConcurrency, awscdk.Duration_Seconds(jsii.Number(29)), f.ApiRole, f.ApiLogs, apiEnv)
	return f
}
