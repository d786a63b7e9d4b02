package main

import (
	"encoding/json"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2authorizers"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// API is the HTTP API in front of the api function.
type API struct {
	Http  awsapigatewayv2.HttpApi
	Stage awsapigatewayv2.HttpStage
	Logs  awslogs.LogGroup
	URL   *string
}

// accessLogFields are the access log's JSON keys and the HTTP API context
// variables they hold.
var accessLogFields = map[string]string{
	"request_id":        "$context.requestId",
	"ip":                "$context.identity.sourceIp",
	"time":              "$context.requestTime",
	"method":            "$context.httpMethod",
	"route":             "$context.routeKey",
	"path":              "$context.path",
	"status":            "$context.status",
	"protocol":          "$context.protocol",
	"bytes":             "$context.responseLength",
	"latency_ms":        "$context.responseLatency",
	"integration_ms":    "$context.integrationLatency",
	"integration_error": "$context.integrationErrorMessage",
	"authorizer_error":  "$context.authorizer.error",
}

// NewAPI builds the HTTP API: every route to the api function, the $default
// stage throttled and access-logged, and with jwtIssuer a JWT authorizer on
// every route but GET /healthz.
func NewAPI(scope constructs.Construct, id string, cfg Config, fn awslambda.IFunction) *API {
	c := constructs.NewConstruct(scope, jsii.String(id))
	integration := awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String("Function"), fn, &awsapigatewayv2integrations.HttpLambdaIntegrationProps{
		PayloadFormatVersion: awsapigatewayv2.PayloadFormatVersion_VERSION_2_0(),
	})
	props := &awsapigatewayv2.HttpApiProps{
		ApiName:            jsii.String(*awscdk.Stack_Of(scope).StackName() + "-api"),
		Description:        jsii.String("Sluice data API"),
		DefaultIntegration: integration,
		CreateDefaultStage: jsii.Bool(false),
	}
	if cfg.JWTIssuer != "" {
		var aud []*string
		for _, a := range strings.Split(cfg.JWTAudience, ",") {
			if a = strings.TrimSpace(a); a != "" {
				aud = append(aud, jsii.String(a))
			}
		}
		props.DefaultAuthorizer = awsapigatewayv2authorizers.NewHttpJwtAuthorizer(jsii.String("Jwt"), jsii.String(cfg.JWTIssuer),
			&awsapigatewayv2authorizers.HttpJwtAuthorizerProps{JwtAudience: &aud})
	}
	api := awsapigatewayv2.NewHttpApi(c, jsii.String("Http"), props)
	// Health checks (load balancers, the pipeline's smoke test) need no token.
	api.AddRoutes(&awsapigatewayv2.AddRoutesOptions{
		Path:        jsii.String("/healthz"),
		Methods:     &[]awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod_GET},
		Integration: integration,
		Authorizer:  awsapigatewayv2.NewHttpNoneAuthorizer(),
	})

	logs := awslogs.NewLogGroup(c, jsii.String("AccessLogs"), &awslogs.LogGroupProps{
		Retention:     retention(cfg.LogRetentionDays),
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	format, _ := json.Marshal(accessLogFields)
	stage := api.AddStage(jsii.String("DefaultStage"), &awsapigatewayv2.HttpStageOptions{
		StageName:  jsii.String("$default"),
		AutoDeploy: jsii.Bool(true),
		Throttle: &awsapigatewayv2.ThrottleSettings{
			RateLimit:  jsii.Number(cfg.ThrottleRate),
			BurstLimit: jsii.Number(float64(cfg.ThrottleBurst)),
		},
	})
	// Set on the CloudFormation stage: the L2's accessLogSettings wants an
	// interface implemented in the app, which jsii's Go runtime mishandles.
	stage.Node().DefaultChild().(awsapigatewayv2.CfnStage).SetAccessLogSettings(&awsapigatewayv2.CfnStage_AccessLogSettingsProperty{
		DestinationArn: logs.LogGroupArn(),
		Format:         jsii.String(string(format)),
	})
	return &API{Http: api, Stage: stage, Logs: logs, URL: stage.Url()}
}
