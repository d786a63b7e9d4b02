package main

import (
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawscloudwatch"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// newDashboard builds one dashboard: the alarms' states, the functions, the API,
// the pipelines' EMF metrics, the database, the dead-letter queues and the
// errors of the last hours from the logs.
func newDashboard(scope constructs.Construct, stackName string, plan *Plan, db *Database, fns *Functions, api *API, m *Monitoring, logGroups []*string) awscloudwatch.Dashboard {
	five := awscdk.Duration_Minutes(jsii.Number(5))
	opts := func(stat string) *awscloudwatch.MetricOptions {
		return &awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String(stat)}
	}
	graph := func(title string, metrics ...awscloudwatch.IMetric) awscloudwatch.IWidget {
		return awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{Title: jsii.String(title), Left: &metrics, Width: jsii.Number(8), Height: jsii.Number(6)})
	}
	perPipeline := func(name, stat string) []awscloudwatch.IMetric {
		var out []awscloudwatch.IMetric
		for _, p := range plan.Pipelines {
			out = append(out, awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
				Namespace: jsii.String(metricNamespace), MetricName: jsii.String(name),
				DimensionsMap: &map[string]*string{pipelineDimension: jsii.String(p)},
				Statistic:     jsii.String(stat), Period: five, Label: jsii.String(p),
			}))
		}
		return out
	}
	var alarms []interfacesawscloudwatch.IAlarmRef
	names := make([]string, 0, len(m.Alarms))
	for n := range m.Alarms {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		alarms = append(alarms, m.Alarms[n])
	}
	rds := func(metric, stat string) awscloudwatch.IMetric {
		return db.Instance.Metric(jsii.String(metric), opts(stat))
	}

	d := awscloudwatch.NewDashboard(scope, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{
		DashboardName:   jsii.String(stackName),
		DefaultInterval: awscdk.Duration_Hours(jsii.Number(24)),
	})
	d.AddWidgets(awscloudwatch.NewAlarmStatusWidget(&awscloudwatch.AlarmStatusWidgetProps{
		Title: jsii.String("Alarms"), Alarms: &alarms, Width: jsii.Number(24), Height: jsii.Number(4),
	}))
	d.AddWidgets(
		graph("Invocations", fns.Etl.MetricInvocations(opts("Sum")), fns.Api.MetricInvocations(opts("Sum"))),
		graph("Errors and throttles", fns.Etl.MetricErrors(opts("Sum")), fns.Api.MetricErrors(opts("Sum")), fns.Etl.MetricThrottles(opts("Sum")), fns.Api.MetricThrottles(opts("Sum"))),
		graph("Duration p99", fns.Etl.MetricDuration(opts("p99")), fns.Api.MetricDuration(opts("p99"))),
	)
	d.AddWidgets(
		graph("API requests and 5xx", api.Http.MetricCount(opts("Sum")), api.Http.MetricServerError(opts("Sum")), api.Http.MetricClientError(opts("Sum"))),
		graph("API latency", api.Http.MetricLatency(opts("p50")), api.Http.MetricLatency(opts("p99")), api.Http.MetricIntegrationLatency(opts("p99"))),
		graph("Dead-letter queues", fns.EtlFailures.MetricApproximateNumberOfMessagesVisible(opts("Maximum")), fns.TriggerFailure.MetricApproximateNumberOfMessagesVisible(opts("Maximum"))),
	)
	d.AddWidgets(
		graph("Rows loaded", perPipeline("RowsLoaded", "Sum")...),
		graph("Reject ratio", perPipeline("RejectRatio", "Maximum")...),
		graph("Seconds since last success", perPipeline("SecondsSinceLastSuccess", "Maximum")...),
	)
	d.AddWidgets(
		graph("Database CPU", rds("CPUUtilization", "Average")),
		graph("Database connections", rds("DatabaseConnections", "Maximum")),
		graph("Database free storage and memory", rds("FreeStorageSpace", "Minimum"), rds("FreeableMemory", "Minimum")),
	)
	d.AddWidgets(awscloudwatch.NewLogQueryWidget(&awscloudwatch.LogQueryWidgetProps{
		Title:         jsii.String("Errors (etl and api)"),
		LogGroupNames: &logGroups,
		QueryString: jsii.String(`fields @timestamp, coalesce(pipeline, "(api)") as where, run_id, msg, error
| filter level = "ERROR"
| sort @timestamp desc
| limit 50`),
		View:   awscloudwatch.LogQueryVisualizationType_TABLE,
		Width:  jsii.Number(24),
		Height: jsii.Number(8),
	}))
	return d
}
