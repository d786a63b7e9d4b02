// Package awstest gives tests a real AWS-compatible endpoint: a moto server
// (the Python AWS emulator) on 127.0.0.1, which the real SDK clients talk to.
// Where moto is missing the test says so and skips; under CI=true (or
// SLUICE_TEST_REQUIRE_SERVERS=1) it fails instead.
package awstest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/sluice-data/sluice/internal/syncbuf"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Region is the region of Config and Env.
const Region = "eu-west-1"

// Account is moto's default account id, as it appears in the ARNs it makes.
const Account = "123456789012"

// startTimeout bounds moto's start; it is not a measurement.
const startTimeout = 60 * time.Second

// Moto starts a moto server for the test and returns its endpoint
// (http://127.0.0.1:port). The server stops when the test ends.
func Moto(t testing.TB) string {
	t.Helper()
	argv, err := motoCommand()
	if err != nil {
		unavailable(t, err)
	}
	var lastErr error
	for range 3 { // another process may take the free port first
		endpoint, err := start(t, argv)
		if err == nil {
			return endpoint
		}
		lastErr = err
	}
	unavailable(t, lastErr)
	return ""
}

// motoCommand finds moto_server, or python3 with the moto module.
func motoCommand() ([]string, error) {
	if p, err := exec.LookPath("moto_server"); err == nil {
		return []string{p}, nil
	}
	py, err := exec.LookPath("python3")
	if err != nil {
		return nil, fmt.Errorf("neither moto_server nor python3 is on PATH")
	}
	if out, err := exec.Command(py, "-c", "import moto.server").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("python3 has no moto module (%v: %s)", err, bytes.TrimSpace(out))
	}
	return []string{py, "-m", "moto.server"}, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func start(t testing.TB, argv []string) (string, error) {
	port, err := freePort()
	if err != nil {
		return "", err
	}
	cmd := exec.Command(argv[0], append(argv[1:], "-H", "127.0.0.1", "-p", strconv.Itoa(port))...)
	out := syncbuf.Buffer{Max: 64 << 10}
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("starting moto: %w", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	stop := func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	}
	endpoint := fmt.Sprintf("http://127.0.0.1:%d", port)
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case <-exited:
			return "", fmt.Errorf("moto exited at start: %s", out.String())
		default:
		}
		if resp, err := client.Get(endpoint + "/moto-api/"); err == nil {
			resp.Body.Close()
			t.Cleanup(stop)
			return endpoint, nil
		}
		if time.Now().After(deadline) {
			stop()
			return "", fmt.Errorf("moto did not answer on %s within %s: %s", endpoint, startTimeout, out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func unavailable(t testing.TB, err error) {
	t.Helper()
	msg := fmt.Sprintf("moto (the local AWS endpoint) is not available: %v; install it (pip install 'moto[server]')", err)
	if os.Getenv("CI") == "true" || os.Getenv("SLUICE_TEST_REQUIRE_SERVERS") == "1" {
		t.Fatal(msg)
	}
	t.Skip("SKIPPED: " + msg)
}

// Credentials are the dummy credentials that moto accepts.
func Credentials() aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "")
}

// Config is an AWS configuration for endpoint with dummy credentials.
func Config(endpoint string) aws.Config {
	return aws.Config{
		Region:       Region,
		Credentials:  Credentials(),
		BaseEndpoint: aws.String(endpoint),
	}
}

// Env points the standard AWS configuration (config.LoadDefaultConfig) of
// this process at endpoint with dummy credentials, for the rest of the test.
// Like t.Setenv it cannot be used in parallel tests.
func Env(t testing.TB, endpoint string) {
	t.Helper()
	none := filepath.Join(t.TempDir(), "none")
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL":            endpoint,
		"AWS_REGION":                  Region,
		"AWS_DEFAULT_REGION":          Region,
		"AWS_ACCESS_KEY_ID":           "AKIAIOSFODNN7EXAMPLE",
		"AWS_SECRET_ACCESS_KEY":       "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		"AWS_SESSION_TOKEN":           "",
		"AWS_PROFILE":                 "",
		"AWS_CONFIG_FILE":             none,
		"AWS_SHARED_CREDENTIALS_FILE": none,
		"AWS_EC2_METADATA_DISABLED":   "true",
	} {
		t.Setenv(k, v)
	}
}

// Context is a context bounded for one test's calls to the endpoint.
func Context(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}
