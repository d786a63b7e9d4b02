# Sluice — developer commands. `make test` is the one CI runs.
GO        ?= go
PKGS      := ./...
FUZZTIME  ?= 10s

.PHONY: test services vet unit race fuzz bench build demo tidy clean

## test: start the database servers, vet, then every test with the race detector (what CI runs)
test: services vet unit

## services: start (or install) PostgreSQL and MariaDB on 127.0.0.1 for the tests
services:
	bash scripts/services.sh

vet:
	$(GO) vet $(PKGS)
	@test -z "$$(gofmt -l cmd internal examples bench 2>/dev/null)" || { echo "gofmt needed:"; gofmt -l cmd internal examples bench; exit 1; }

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

build:
	CGO_ENABLED=0 $(GO) build -trimpath -o dist/sluice ./cmd/sluice

demo:
	$(GO) run ./cmd/sluice demo

clean:
	rm -rf dist sluice-demo
