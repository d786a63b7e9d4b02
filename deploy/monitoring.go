package main

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Monitoring is the alarm topic, the alarms, the dashboard and the saved queries.
type Monitoring struct {
	Topic     awssns.Topic
	Alarms    map[string]awscloudwatch.Alarm // by name without the stack prefix
	Dashboard awscloudwatch.Dashboard
}

// NewMonitoring builds the alarms of DESIGN §6 and of the project's alert rules,
// every one publishing to one encrypted, TLS-only topic.
func NewMonitoring(scope constructs.Construct, id string, cfg Config, plan *Plan, st *Storage, db *Database, fns *Functions, api *API) *Monitoring {
	c := constructs.NewConstruct(scope, jsii.String(id))
	stackName := *awscdk.Stack_Of(scope).StackName()
	m := &Monitoring{Alarms: map[string]awscloudwatch.Alarm{}}
	m.Topic = awssns.NewTopic(c, jsii.String("Alarms"), &awssns.TopicProps{
		DisplayName: jsii.String("Sluice alarms"),
		MasterKey:   st.Key,
		EnforceSSL:  jsii.Bool(true),
	})
	// The topic's policy is the CDK's TLS-only deny; the alarms of this
	// account need an allow beside it.
	m.Topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AlarmsOfThisAccount"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  &[]*string{m.Topic.TopicArn()},
		Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": awscdk.Stack_Of(scope).Account()}},
	}))
	if cfg.AlarmEmail != "" {
		m.Topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(cfg.AlarmEmail), nil))
	}
	action := awscloudwatchactions.NewSnsAction(m.Topic)

	five := awscdk.Duration_Minutes(jsii.Number(5))
	alarm := func(name, description string, metric awscloudwatch.IMetric, op awscloudwatch.ComparisonOperator, threshold float64, periods int, missing awscloudwatch.TreatMissingData) {
		a := awscloudwatch.NewAlarm(c, jsii.String("Alarm-"+name), &awscloudwatch.AlarmProps{
			AlarmName:          jsii.String(stackName + "-" + name),
			AlarmDescription:   jsii.String(description),
			Metric:             metric,
			ComparisonOperator: op,
			Threshold:          jsii.Number(threshold),
			EvaluationPeriods:  jsii.Number(float64(periods)),
			TreatMissingData:   missing,
		})
		a.AddAlarmAction(action)
		a.AddOkAction(action)
		m.Alarms[name] = a
	}
	gte := awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD
	gt := awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD
	lt := awscloudwatch.ComparisonOperator_LESS_THAN_THRESHOLD
	notBreaching := awscloudwatch.TreatMissingData_NOT_BREACHING
	sum := &awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Sum")}

	for _, f := range []struct {
		name string
		fn   awslambda.Function
	}{{"etl", fns.Etl}, {"api", fns.Api}} {
		alarm(f.name+"-errors", "The "+f.name+" function failed (Lambda Errors).", f.fn.MetricErrors(sum), gte, 1, 1, notBreaching)
		alarm(f.name+"-throttles", "The "+f.name+" function was throttled: raise its reserved concurrency.", f.fn.MetricThrottles(sum), gte, 1, 1, notBreaching)
	}
	alarm("api-5xx", "The HTTP API answered 5xx.", api.Http.MetricServerError(sum), gte, 5, 1, notBreaching)
	alarm("api-latency-p99", fmt.Sprintf("The HTTP API's p99 latency is above %g ms.", cfg.ApiP99Ms),
		api.Http.MetricLatency(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("p99")}), gt, cfg.ApiP99Ms, 3, notBreaching)

	rds := func(metric, stat string) awscloudwatch.Metric {
		return db.Instance.Metric(jsii.String(metric), &awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String(stat)})
	}
	breaching := awscloudwatch.TreatMissingData_BREACHING
	alarm("db-cpu", "The database's CPU is above 80%.", rds("CPUUtilization", "Average"), gt, 80, 3, notBreaching)
	alarm("db-storage", fmt.Sprintf("The database has less than %g GiB free.", cfg.DBMinFreeGiB), rds("FreeStorageSpace", "Minimum"), lt, cfg.DBMinFreeGiB*(1<<30), 1, breaching)
	alarm("db-memory", fmt.Sprintf("The database has less than %g MiB of freeable memory.", cfg.DBMinMemMiB), rds("FreeableMemory", "Minimum"), lt, cfg.DBMinMemMiB*(1<<20), 3, notBreaching)
	alarm("db-connections", fmt.Sprintf("The database has more than %d connections.", cfg.DBMaxConns), rds("DatabaseConnections", "Maximum"), gt, float64(cfg.DBMaxConns), 3, notBreaching)
	for _, q := range []struct {
		name, what string
		queue      awssqs.Queue
	}{{"etl-failures", "etl invocations that failed after their retries", fns.EtlFailures}, {"trigger-failures", "EventBridge events that could not start etl", fns.TriggerFailure}} {
		alarm(q.name+"-dlq", "The dead-letter queue holds "+q.what+".",
			q.queue.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Maximum")}), gte, 1, 1, notBreaching)
	}

	emf := func(name, pipeline, stat string, period awscdk.Duration) awscloudwatch.Metric {
		return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String(metricNamespace), MetricName: jsii.String(name),
			DimensionsMap: &map[string]*string{pipelineDimension: jsii.String(pipeline)},
			Statistic:     jsii.String(stat), Period: period,
		})
	}
	for _, a := range plan.Alarms {
		period := awscdk.Duration_Seconds(jsii.Number(a.Period().Seconds()))
		desc := fmt.Sprintf("Alert rule %s (%s) of pipeline %s.", a.Rule, a.Kind, a.Pipeline)
		switch a.Kind {
		case AlarmStale, AlarmMissed:
			what := "stale"
			if a.Kind == AlarmMissed {
				what = "missed schedule: two runs in a row did not succeed"
			}
			alarm(a.Name, fmt.Sprintf("Pipeline %s has not succeeded for %s (%s; rule %s).", a.Pipeline, seconds(a.Threshold), what, a.Rule),
				emf("SecondsSinceLastSuccess", a.Pipeline, "Maximum", period), gt, a.Threshold, 1, awscloudwatch.TreatMissingData_MISSING)
		case AlarmRejectRatio:
			var metric awscloudwatch.IMetric = emf("RejectRatio", a.Pipeline, "Maximum", period)
			if a.Window > 0 {
				metric = awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
					Expression: jsii.String("IF(read > 0, rejected / read, 0)"),
					Label:      jsii.String("reject ratio of " + a.Pipeline),
					Period:     period,
					UsingMetrics: &map[string]awscloudwatch.IMetric{
						"rejected": emf("RowsRejected", a.Pipeline, "Sum", period),
						"read":     emf("RowsRead", a.Pipeline, "Sum", period),
					},
				})
			}
			alarm(a.Name, desc, metric, gt, a.Threshold, 1, notBreaching)
		case AlarmRunFailed:
			alarm(a.Name, desc, emf("RunFailed", a.Pipeline, "Sum", period), gte, 1, 1, notBreaching)
		case AlarmAPI5xxRatio:
			metric := awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
				Expression: jsii.String("IF(requests > 0, errors / requests, 0)"),
				Label:      jsii.String("API 5xx ratio"),
				Period:     period,
				UsingMetrics: &map[string]awscloudwatch.IMetric{
					"errors":   api.Http.MetricServerError(&awscloudwatch.MetricOptions{Period: period, Statistic: jsii.String("Sum")}),
					"requests": api.Http.MetricCount(&awscloudwatch.MetricOptions{Period: period, Statistic: jsii.String("Sum")}),
				},
			})
			alarm(a.Name, fmt.Sprintf("Alert rule %s: the API's 5xx ratio is above %g.", a.Rule, a.Threshold), metric, gt, a.Threshold, 1, notBreaching)
		}
	}

	logGroups := []awslogs.LogGroup{fns.EtlLogs, fns.ApiLogs}
	var names []*string
	var groupNames []any // CfnQueryDefinition takes a list of any
	for _, g := range logGroups {
		names = append(names, g.LogGroupName())
		groupNames = append(groupNames, g.LogGroupName())
	}
	for i, q := range plan.Queries {
		awslogs.NewCfnQueryDefinition(c, jsii.String(fmt.Sprintf("Query%d", i)), &awslogs.CfnQueryDefinitionProps{
			Name:          jsii.String(q.Name),
			QueryString:   jsii.String(q.String),
			LogGroupNames: &groupNames,
		})
	}
	m.Dashboard = newDashboard(c, stackName, plan, db, fns, api, m, names)
	return m
}

// seconds formats a threshold in seconds as people write durations: 26h, 2d, 90m.
func seconds(s float64) string {
	d := int64(s)
	switch {
	case d >= 86400 && d%86400 == 0:
		return fmt.Sprintf("%dd", d/86400)
	case d >= 3600 && d%3600 == 0:
		return fmt.Sprintf("%dh", d/3600)
	case d%60 == 0:
		return fmt.Sprintf("%dm", d/60)
	}
	return fmt.Sprintf("%ds", d)
}
