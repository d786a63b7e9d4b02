package main

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsrds"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Database is the RDS instance and the RDS Proxy the functions connect through.
type Database struct {
	Instance awsrds.DatabaseInstance
	Proxy    awsrds.DatabaseProxy
	URL      string // SLUICE_DATABASE_URL: the proxy, the database and the secret
	LogGroup awslogs.LogGroup
}

// NewDatabase builds an encrypted PostgreSQL (or MySQL) instance in the isolated
// db subnets: TLS required by its parameter group and by the proxy, the master
// credentials in Secrets Manager rotated on a schedule, automated backups,
// deletion protection and, with multiAz, a standby.
func NewDatabase(scope constructs.Construct, id string, cfg Config, net *Network, key awskms.IKey) *Database {
	c := constructs.NewConstruct(scope, jsii.String(id))
	stack := awscdk.Stack_Of(scope)

	// A minor version that RDS offers for new instances everywhere;
	// autoMinorVersionUpgrade keeps it current afterwards.
	var engine awsrds.IInstanceEngine
	var params map[string]*string
	var logType string
	if cfg.Engine == "mysql" {
		engine = awsrds.DatabaseInstanceEngine_Mysql(&awsrds.MySqlInstanceEngineProps{Version: awsrds.MysqlEngineVersion_VER_8_4_7()})
		params = map[string]*string{"require_secure_transport": jsii.String("ON")}
		logType = "error"
	} else {
		engine = awsrds.DatabaseInstanceEngine_Postgres(&awsrds.PostgresInstanceEngineProps{Version: awsrds.PostgresEngineVersion_VER_17_6()})
		params = map[string]*string{"rds.force_ssl": jsii.String("1")}
		logType = "postgresql"
	}
	paramGroup := awsrds.NewParameterGroup(c, jsii.String("Parameters"), &awsrds.ParameterGroupProps{
		Engine:      engine,
		Description: jsii.String("Sluice: TLS required"),
		Parameters:  &params,
	})

	dbSG := awsec2.NewSecurityGroup(c, jsii.String("InstanceSG"), &awsec2.SecurityGroupProps{
		Vpc: net.Vpc, Description: jsii.String("Sluice database: from the proxy and the rotation function only"), AllowAllOutbound: jsii.Bool(false),
	})
	proxySG := awsec2.NewSecurityGroup(c, jsii.String("ProxySG"), &awsec2.SecurityGroupProps{
		Vpc: net.Vpc, Description: jsii.String("Sluice RDS Proxy: from the functions only"), AllowAllOutbound: jsii.Bool(true),
	})

	// The instance identifier is fixed so that its log group can exist, with a
	// retention, before RDS would create one without.
	ident := dbIdentifier(*stack.StackName())
	logGroup := awslogs.NewLogGroup(c, jsii.String("Logs"), &awslogs.LogGroupProps{
		LogGroupName:  jsii.String(fmt.Sprintf("/aws/rds/instance/%s/%s", ident, logType)),
		Retention:     retention(cfg.LogRetentionDays),
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})

	inst := awsrds.NewDatabaseInstance(c, jsii.String("Instance"), &awsrds.DatabaseInstanceProps{
		Engine:                  engine,
		InstanceIdentifier:      jsii.String(ident),
		InstanceType:            awsec2.NewInstanceType(jsii.String(cfg.DBInstanceClass)),
		Vpc:                     net.Vpc,
		VpcSubnets:              net.DBSubnets,
		SecurityGroups:          &[]awsec2.ISecurityGroup{dbSG},
		Credentials:             awsrds.Credentials_FromGeneratedSecret(jsii.String("sluice_admin"), nil),
		DatabaseName:            jsii.String(cfg.DBName),
		ParameterGroup:          paramGroup,
		StorageEncrypted:        jsii.Bool(true),
		StorageEncryptionKey:    key,
		StorageType:             awsrds.StorageType_GP3,
		AllocatedStorage:        jsii.Number(float64(cfg.DBStorageGiB)),
		MaxAllocatedStorage:     jsii.Number(float64(cfg.DBMaxStorageGiB)),
		MultiAz:                 jsii.Bool(cfg.MultiAz),
		BackupRetention:         awscdk.Duration_Days(jsii.Number(float64(cfg.BackupDays))),
		DeleteAutomatedBackups:  jsii.Bool(false),
		DeletionProtection:      jsii.Bool(true),
		RemovalPolicy:           awscdk.RemovalPolicy_SNAPSHOT,
		CopyTagsToSnapshot:      jsii.Bool(true),
		IamAuthentication:       jsii.Bool(true),
		PubliclyAccessible:      jsii.Bool(false),
		AutoMinorVersionUpgrade: jsii.Bool(true),
		CloudwatchLogsExports:   jsii.Strings(logType),
	})
	inst.Node().AddDependency(logGroup)
	inst.AddRotationSingleUser(&awsrds.RotationSingleUserOptions{
		AutomaticallyAfter: awscdk.Duration_Days(jsii.Number(float64(cfg.RotationDays))),
		Endpoint:           net.SecretsManager,
		VpcSubnets:         net.FnSubnets,
	})

	proxy := inst.AddProxy(jsii.String("Proxy"), &awsrds.DatabaseProxyOptions{
		Secrets:           &[]awssecretsmanager.ISecret{inst.Secret()},
		Vpc:               net.Vpc,
		VpcSubnets:        net.DBSubnets,
		SecurityGroups:    &[]awsec2.ISecurityGroup{proxySG},
		RequireTLS:        jsii.Bool(true),
		IamAuth:           jsii.Bool(false), // clients log in with the secret's password, over TLS
		IdleClientTimeout: awscdk.Duration_Minutes(jsii.Number(30)),
	})
	port := awsec2.Port_Tcp(jsii.Number(float64(cfg.DBPort())))
	dbSG.AddIngressRule(proxySG, port, jsii.String("from the RDS Proxy"), nil)
	proxySG.AddIngressRule(net.FunctionsSG, port, jsii.String("from the Sluice functions"), nil)

	scheme, tls := "postgres", "sslmode=require"
	if cfg.Engine == "mysql" {
		scheme, tls = "mysql", "tls=true"
	}
	url := fmt.Sprintf("%s://%s:%d/%s?secret=%s&%s", scheme, *proxy.Endpoint(), cfg.DBPort(), cfg.DBName, *inst.Secret().SecretArn(), tls)
	return &Database{Instance: inst, Proxy: proxy, URL: url, LogGroup: logGroup}
}

var notIdentifier = regexp.MustCompile(`[^a-z0-9]+`)

// dbIdentifier is the instance identifier for a stack: lowercase letters,
// digits and single hyphens, starting with a letter, at most 63 characters.
func dbIdentifier(stackName string) string {
	s := strings.Trim(notIdentifier.ReplaceAllString(strings.ToLower(stackName), "-"), "-")
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		s = "sluice-" + s
	}
	s = strings.TrimSuffix(s, "-")
	return strings.TrimSuffix(s[:min(len(s), 60)], "-") + "-db"
}

// retention is the log retention of n days, rounded up to one CloudWatch allows.
func retention(days int) awslogs.RetentionDays {
	for _, d := range []struct {
		n int
		r awslogs.RetentionDays
	}{
		{1, awslogs.RetentionDays_ONE_DAY}, {3, awslogs.RetentionDays_THREE_DAYS}, {5, awslogs.RetentionDays_FIVE_DAYS},
		{7, awslogs.RetentionDays_ONE_WEEK}, {14, awslogs.RetentionDays_TWO_WEEKS}, {30, awslogs.RetentionDays_ONE_MONTH},
		{60, awslogs.RetentionDays_TWO_MONTHS}, {90, awslogs.RetentionDays_THREE_MONTHS}, {120, awslogs.RetentionDays_FOUR_MONTHS},
		{150, awslogs.RetentionDays_FIVE_MONTHS}, {180, awslogs.RetentionDays_SIX_MONTHS}, {365, awslogs.RetentionDays_ONE_YEAR},
		{400, awslogs.RetentionDays_THIRTEEN_MONTHS}, {545, awslogs.RetentionDays_EIGHTEEN_MONTHS}, {731, awslogs.RetentionDays_TWO_YEARS},
	} {
		if days <= d.n {
			return d.r
		}
	}
	return awslogs.RetentionDays_TEN_YEARS
}
