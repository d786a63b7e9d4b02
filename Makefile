# Sluice — developer commands. `make test` is the one CI runs.
GO        ?= go
PKGS      := ./...
FUZZTIME  ?= 10s

.PHONY: test services vet unit race fuzz bench bench-lambda bench-parquet bench-api build demo tidy clean lambda synth deploy cdk-test

## test: start the database servers, vet, then every test with the race detector (what CI runs)
test: services vet unit cdk-test

## services: start (or install) PostgreSQL and MariaDB on 127.0.0.1 for the tests
services:
	bash scripts/services.sh

vet:
	$(GO) vet $(PKGS)
	@test -z "$$(gofmt -l cmd internal examples bench scripts 2>/dev/null)" || { echo "gofmt needed:"; gofmt -l cmd internal examples bench scripts; exit 1; }

unit:
	$(GO) test -race -count=1 -timeout 20m $(PKGS)

## fuzz: run every fuzz target for FUZZTIME each
fuzz:
	$(GO) test -run='^$$' -fuzz=FuzzCSV -fuzztime=$(FUZZTIME) ./internal/format
	$(GO) test -run='^$$' -fuzz=FuzzJSON$$ -fuzztime=$(FUZZTIME) ./internal/format
	$(GO) test -run='^$$' -fuzz=FuzzJSONL -fuzztime=$(FUZZTIME) ./internal/format
	$(GO) test -run='^$$' -fuzz=FuzzLoadPipeline -fuzztime=$(FUZZTIME) ./internal/spec
	$(GO) test -run='^$$' -fuzz=FuzzCompile -fuzztime=$(FUZZTIME) ./internal/transform
	$(GO) test -run='^$$' -fuzz=FuzzParseQuery -fuzztime=$(FUZZTIME) ./internal/api
	$(GO) test -run='^$$' -fuzz=FuzzCursor -fuzztime=$(FUZZTIME) ./internal/api
	$(GO) test -run='^$$' -fuzz=FuzzParse -fuzztime=$(FUZZTIME) ./internal/schedule

## bench: the load benchmark of BENCHMARKS.md
bench:
	$(GO) run ./bench/load -rows 1000000

## bench-lambda: Lambda binary sizes (also runs `make lambda`) and init duration against a Runtime API stub (BENCHMARKS.md)
bench-lambda:
	$(GO) run ./bench/lambda -n 30

## bench-parquet: a 3M-row Parquet file from an in-process S3 fake into PostgreSQL vs psql \copy (needs `make services`)
bench-parquet:
	$(GO) run ./bench/s3parquet -rows 3000000 -runs 3

## bench-api: sluice serve vs Flask + psycopg2 under gunicorn, wrk, PostgreSQL with 1M rows (needs `make services`, wrk, gunicorn, python3-flask, python3-psycopg2)
bench-api:
	$(GO) run ./bench/api -rows 1000000

build:
	CGO_ENABLED=0 $(GO) build -trimpath -o dist/sluice ./cmd/sluice

demo:
	$(GO) run ./cmd/sluice demo

clean:
	rm -rf dist sluice-demo

## lambda: the arm64 Lambda binary dist/bootstrap and dist/bootstrap.zip, the asset deploy/ uploads
lambda:
	mkdir -p dist
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -trimpath -ldflags='-s -w' -tags lambda.norpc -o dist/bootstrap ./cmd/sluice
	$(GO) run ./scripts/lambdazip dist/bootstrap dist/bootstrap.zip   # reproducible: the same binary, the same zip
	@ls -l dist/bootstrap dist/bootstrap.zip | awk '{ printf "%-20s %6.1f MB\n", $$NF, $$5/1e6 }'

# The AWS CDK app (deploy/, its own module) and the pinned CDK CLI of deploy/package.json.
CDK_ENV  := JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 JSII_DEPRECATED=quiet CDK_DISABLE_VERSION_CHECK=1 CDK_DISABLE_CLI_TELEMETRY=1
CDK      := cd deploy && $(CDK_ENV) npx --no-install cdk
## SYNTH_CONTEXT: context of `make synth`; the default also synthesizes the pipeline stack and its stage
SYNTH_CONTEXT ?= -c pipeline=true
## DEPLOY_CONTEXT: context of `make deploy`, e.g. DEPLOY_CONTEXT="-c alarmEmail=ops@example.com -c multiAz=true"
DEPLOY_CONTEXT ?=

deploy/node_modules/.package-lock.json: deploy/package-lock.json
	cd deploy && npm ci --no-audit --no-fund --loglevel=error

## synth: synthesize every stack to deploy/cdk.out, offline, no AWS credentials; fails on any cdk-nag finding
synth: lambda deploy/node_modules/.package-lock.json
	rm -rf deploy/cdk.out
	$(CDK) synth --no-notices --quiet $(SYNTH_CONTEXT)

## deploy: deploy the application stack to the account and region of your AWS credentials (README: Deploy to AWS)
deploy: lambda deploy/node_modules/.package-lock.json
	$(CDK) deploy --all --no-notices $(DEPLOY_CONTEXT)

## cdk-test: the CDK app's vet and unit tests, `make synth`, and cfn-lint on every template
## (cfn-lint comes from PyPI: where it is missing the lint is skipped loudly, unless CFN_LINT_REQUIRED=1 or CI=true)
cdk-test: deploy/node_modules/.package-lock.json
	@test -z "$$(gofmt -l deploy/*.go)" || { echo "gofmt needed:"; gofmt -l deploy/*.go; exit 1; }
	cd deploy && $(GO) vet . && $(CDK_ENV) $(GO) test -count=1 -timeout 20m .
	$(MAKE) --no-print-directory synth
	@if command -v cfn-lint >/dev/null; then \
		echo "cfn-lint $$(cfn-lint --version | cut -d' ' -f2) on every template"; \
		cd deploy && cfn-lint $$(ls cdk.out/*.template.json cdk.out/assembly-*/*.template.json 2>/dev/null); \
	elif [ "$(CFN_LINT_REQUIRED)" = 1 ] || [ "$$CI" = true ]; then echo "cfn-lint is not installed (required under CI=true)"; exit 1; \
	else echo "*** cfn-lint is not installed: the templates were NOT linted (pip install cfn-lint) ***"; fi
