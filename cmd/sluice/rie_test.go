package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-data/sluice/internal/syncbuf"
)

// The Runtime Interface Emulator tests run the real bootstrap under AWS's
// emulator of the Lambda Runtime API: the binary built as `make lambda` builds
// it (for the host), the emulator from the Go module proxy.
const rieModule = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@v0.0.0-20261030222936-bef5c4ba774d"

var (
	buildOnce          sync.Once
	bootstrap, rie     string
	buildErr, rieError error
)

// lambdaTools builds bootstrap and finds or installs aws-lambda-rie, once per
// test binary. Without them the test skips, and fails under CI=true.
func lambdaTools(t *testing.T) (bootstrapPath, riePath string) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the Lambda binary: not in -short")
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sluice-lambda-")
		if err != nil {
			buildErr = err
			return
		}
		bootstrap = filepath.Join(dir, "bootstrap")
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-tags", "lambda.norpc", "-o", bootstrap, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("building bootstrap: %v\n%s", err, out)
			return
		}
		if p, err := exec.LookPath("aws-lambda-rie"); err == nil {
			rie = p
			return
		}
		cmd = exec.Command("go", "install", rieModule)
		cmd.Env = append(os.Environ(), "GOBIN="+dir)
		if out, err := cmd.CombinedOutput(); err != nil {
			rieError = fmt.Errorf("installing aws-lambda-rie: %v\n%s", err, out)
			return
		}
		rie = filepath.Join(dir, "aws-lambda-rie")
	})
	for _, err := range []error{buildErr, rieError} {
		if err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatal(err)
			}
			t.Skip(err)
		}
	}
	return bootstrap, rie
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// function is one Lambda function running under the emulator.
type function struct {
	addr string
	out  syncbuf.Buffer // the emulator's and the function's stdout and stderr
}

// Output returns everything printed so far.
func (f *function) Output() string { return f.out.String() }

// startFunction runs bootstrap under the emulator with env (on top of a
// minimal environment) and waits until it takes invocations.
func startFunction(t *testing.T, env map[string]string) *function {
	t.Helper()
	boot, rie := lambdaTools(t)
	f := &function{addr: freePort(t)}
	cmd := exec.Command(rie, "--runtime-interface-emulator-address", f.addr, "--runtime-api-address", freePort(t), "--log-level", "error", boot)
	cmd.Dir = t.TempDir()
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + cmd.Dir, "AWS_LAMBDA_FUNCTION_NAME=sluice-" + env["_HANDLER"]}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdout, cmd.Stderr = &f.out, &f.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("function output:\n%s", f.Output())
		}
	})
	for deadline := time.Now().Add(10 * time.Second); ; {
		c, err := net.DialTimeout("tcp", f.addr, time.Second)
		if err == nil {
			c.Close()
			return f
		}
		if time.Now().After(deadline) {
			t.Fatalf("the emulator did not listen on %s: %v\n%s", f.addr, err, f.Output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// invoke sends one invocation and returns the function's response body. The
// emulator answers 200 for function errors too, with an errorMessage body.
func (f *function) invoke(t *testing.T, payload any) []byte {
	t.Helper()
	var body []byte
	switch p := payload.(type) {
	case []byte:
		body = p
	case string:
		body = []byte(p)
	default:
		var err error
		if body, err = json.Marshal(p); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+f.addr+"/2015-03-31/functions/function/invocations", bytes.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

var initDurationRE = regexp.MustCompile(`Init Duration: ([0-9.]+) ms`)

// initDurations returns the Init Duration of every REPORT line so far.
func (f *function) initDurations() []float64 {
	var out []float64
	for _, m := range initDurationRE.FindAllStringSubmatch(f.Output(), -1) {
		v, _ := strconv.ParseFloat(m[1], 64)
		out = append(out, v)
	}
	return out
}

// jsonLines returns the output lines that are JSON objects.
func (f *function) jsonLines(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(f.Output()))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Errorf("a line that starts like JSON does not parse: %v\n%s", err, line)
			continue
		}
		out = append(out, m)
	}
	return out
}
