package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Network is the VPC: isolated subnets for the database and the functions
// (unless natGateways is set), VPC endpoints for the AWS APIs the functions
// call, and flow logs to the log bucket.
type Network struct {
	Vpc            awsec2.Vpc
	DBSubnets      *awsec2.SubnetSelection
	FnSubnets      *awsec2.SubnetSelection
	SecretsManager awsec2.InterfaceVpcEndpoint
	// FunctionsSG is the security group of the functions: the endpoints and
	// the RDS Proxy admit it.
	FunctionsSG awsec2.SecurityGroup
}

// NewNetwork builds the VPC. Without NAT gateways the subnets have no route to
// the internet at all: S3 is reached through a gateway endpoint (free), and
// Secrets Manager, CloudWatch Logs and Lambda (the api function invokes etl)
// through interface endpoints, which cost less than NAT gateways in each zone
// and keep the traffic inside the VPC.
func NewNetwork(scope constructs.Construct, id string, cfg Config, logBucket awss3.IBucket) *Network {
	c := constructs.NewConstruct(scope, jsii.String(id))
	fnType := awsec2.SubnetType_PRIVATE_ISOLATED
	subnets := []*awsec2.SubnetConfiguration{
		{Name: jsii.String("db"), SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED, CidrMask: jsii.Number(24)},
	}
	if cfg.NatGateways > 0 {
		fnType = awsec2.SubnetType_PRIVATE_WITH_EGRESS
		subnets = append(subnets, &awsec2.SubnetConfiguration{Name: jsii.String("public"), SubnetType: awsec2.SubnetType_PUBLIC, CidrMask: jsii.Number(24)})
	}
	subnets = append(subnets, &awsec2.SubnetConfiguration{Name: jsii.String("functions"), SubnetType: fnType, CidrMask: jsii.Number(22)})

	vpc := awsec2.NewVpc(c, jsii.String("Vpc"), &awsec2.VpcProps{
		IpAddresses:         awsec2.IpAddresses_Cidr(jsii.String("10.40.0.0/16")),
		MaxAzs:              jsii.Number(float64(cfg.MaxAzs)),
		NatGateways:         jsii.Number(float64(cfg.NatGateways)),
		SubnetConfiguration: &subnets,
		// Nothing is launched into the default security group; restricting it
		// would add a custom-resource Lambda to every deployment.
		RestrictDefaultSecurityGroup: jsii.Bool(false),
		FlowLogs: &map[string]*awsec2.FlowLogOptions{
			"FlowLogs": {
				Destination: awsec2.FlowLogDestination_ToS3(logBucket, jsii.String("vpc-flow-logs/"), nil),
				TrafficType: awsec2.FlowLogTrafficType_ALL,
			},
		},
	})
	n := &Network{
		Vpc:       vpc,
		DBSubnets: &awsec2.SubnetSelection{SubnetGroupName: jsii.String("db")},
		FnSubnets: &awsec2.SubnetSelection{SubnetGroupName: jsii.String("functions")},
	}
	n.FunctionsSG = awsec2.NewSecurityGroup(c, jsii.String("FunctionsSG"), &awsec2.SecurityGroupProps{
		Vpc: vpc, Description: jsii.String("Sluice functions"), AllowAllOutbound: jsii.Bool(true),
	})
	vpc.AddGatewayEndpoint(jsii.String("S3"), &awsec2.GatewayVpcEndpointOptions{
		Service: awsec2.GatewayVpcEndpointAwsService_S3(),
		Subnets: &[]*awsec2.SubnetSelection{n.FnSubnets},
	})
	endpoint := func(id string, svc awsec2.InterfaceVpcEndpointAwsService) awsec2.InterfaceVpcEndpoint {
		e := vpc.AddInterfaceEndpoint(jsii.String(id), &awsec2.InterfaceVpcEndpointOptions{
			Service: svc,
			Subnets: n.FnSubnets,
			Open:    jsii.Bool(false), // only the functions (and the rotation function) reach it
		})
		e.Connections().AllowDefaultPortFrom(n.FunctionsSG, jsii.String("from the Sluice functions"))
		return e
	}
	n.SecretsManager = endpoint("SecretsManager", awsec2.InterfaceVpcEndpointAwsService_SECRETS_MANAGER())
	endpoint("Logs", awsec2.InterfaceVpcEndpointAwsService_CLOUDWATCH_LOGS())
	endpoint("Lambda", awsec2.InterfaceVpcEndpointAwsService_LAMBDA())
	return n
}
