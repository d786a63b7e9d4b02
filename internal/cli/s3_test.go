package cli

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"maps"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluice-data/sluice/internal/engine"
	"github.com/sluice-data/sluice/internal/source/s3test"
)

func gzipped(s string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(s))
	zw.Close()
	return b.Bytes()
}

// TestRunFromS3 runs a project that lives in S3 alone: its pipeline specs under
// one prefix, its source files and rejects under another, the AWS SDK pointed
// at a fake S3 by the environment, as a Lambda would be configured.
func TestRunFromS3(t *testing.T) {
	t.Parallel()
	srv := s3test.Start(t)
	srv.CreateBucket(t, "lake")
	srv.Put(t, "lake", "config/pipelines/orders.yaml", []byte(strings.Replace(ordersSpec, `"*.csv"`, `"*.csv*"`, 1)))
	srv.Put(t, "lake", "config/pipelines/README.txt", []byte("not a spec"))
	srv.Put(t, "lake", "prefix/in/a.csv.gz", gzipped("id,amount\n1,2.50\n2,oops\n3,4\n"))
	srv.Put(t, "lake", "prefix/in/b.csv", []byte("id,amount\n4,1.25\n"))
	dir := writeProject(t, nil) // no sluice.yaml: the environment says it all
	env := maps.Clone(srv.Env())
	env["SLUICE_STORAGE_URL"] = "s3://lake/prefix"
	env["SLUICE_PIPELINES"] = "s3://lake/config/pipelines/"
	env["SLUICE_DATABASE_URL"] = "sqlite://" + filepath.ToSlash(filepath.Join(dir, "s.db"))

	out, errOut, code := sluice(t, env, "validate", "-p", dir)
	if code != 0 || !strings.Contains(out, "1 pipeline(s) are valid") {
		t.Fatalf("validate: %d\n%s\n%s", code, out, errOut)
	}

	out, errOut, code = sluice(t, env, "run", "-p", dir, "--all", "--json")
	if code != 0 {
		t.Fatalf("run: %d\n%s\n%s", code, out, errOut)
	}
	var res engine.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("summary %q: %v", out, err)
	}
	if res.Status != "succeeded" || res.Files != 2 || res.RowsRead != 4 || res.RowsLoaded != 3 || res.RowsRejected != 1 {
		t.Errorf("summary: %+v", res)
	}
	if want := "s3://lake/prefix/_rejects/orders/" + res.ID + ".jsonl"; res.RejectsURL != want {
		t.Fatalf("rejects at %q, want %q", res.RejectsURL, want)
	}
	var rj engine.Reject
	rejects := srv.Get(t, "lake", "prefix/_rejects/orders/"+res.ID+".jsonl")
	if err := json.Unmarshal(rejects, &rj); err != nil || bytes.Count(rejects, []byte("\n")) != 1 {
		t.Fatalf("rejects file %q: %v", rejects, err)
	}
	if rj.File != "s3://lake/prefix/in/a.csv.gz" || rj.Line != 3 || rj.Column != "amount" || rj.Value != "oops" {
		t.Errorf("reject %+v", rj)
	}

	// The ledger: nothing new, nothing loaded twice; the rejects folder is not a source.
	out, _, code = sluice(t, env, "run", "-p", dir, "--all", "--json")
	if code != 0 || !strings.Contains(out, `"files":0`) || !strings.Contains(out, "nothing new to load") {
		t.Errorf("re-run: %d %s", code, out)
	}

	// A changed object is loaded again; a spec named by its s3:// URL works too.
	srv.Put(t, "lake", "prefix/in/b.csv", []byte("id,amount\n4,9.99\n5,1\n"))
	out, errOut, code = sluice(t, env, "run", "-p", dir, "s3://lake/config/pipelines/orders.yaml", "--json")
	if code != 0 || !strings.Contains(out, `"files":1`) || !strings.Contains(out, `"rows_loaded":2`) {
		t.Errorf("run of a changed file by spec URL: %d\n%s\n%s", code, out, errOut)
	}
}

func TestS3Problems(t *testing.T) {
	t.Parallel()
	srv := s3test.Start(t)
	srv.CreateBucket(t, "lake")
	srv.Put(t, "lake", "config/bad.yaml", []byte("version: 1\nsource: {path: in/, pattren: x}\n"))
	srv.Put(t, "lake", "config/good.yaml", []byte(ordersSpec))
	dir := writeProject(t, nil)
	tests := []struct {
		name      string
		env       map[string]string
		args      []string
		wantCode  int
		wantInOut []string
	}{
		{"no specs under the prefix", map[string]string{"SLUICE_PIPELINES": "s3://lake/nothing/"}, []string{"run", "--all"}, 1,
			[]string{"pipelines folder s3://lake/nothing/ holds no pipeline specs"}},
		{"missing bucket", map[string]string{"SLUICE_PIPELINES": "s3://nope/config/"}, []string{"run", "--all"}, 1,
			[]string{"listing s3://nope/config/", `bucket "nope" does not exist`}},
		{"every problem of every spec, by URL", map[string]string{"SLUICE_PIPELINES": "s3://lake/config/"}, []string{"validate"}, 1,
			[]string{"s3://lake/config/bad.yaml:2:", "pattren"}},
		{"source files missing", map[string]string{"SLUICE_PIPELINES": "s3://lake/config/good.yaml", "SLUICE_STORAGE_URL": "s3://nope/x"}, []string{"run", "s3://lake/config/good.yaml"}, 1,
			[]string{"s3://nope/x/in/", `bucket "nope" does not exist`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := maps.Clone(srv.Env())
			env["SLUICE_DATABASE_URL"] = "sqlite://" + filepath.ToSlash(filepath.Join(t.TempDir(), "s.db"))
			maps.Copy(env, tt.env)
			out, errOut, code := sluice(t, env, append(tt.args, "-p", dir)...)
			for _, w := range tt.wantInOut {
				if !strings.Contains(out+errOut, w) {
					t.Errorf("output lacks %q", w)
				}
			}
			if code != tt.wantCode || t.Failed() {
				t.Fatalf("code %d, want %d\n%s\n%s", code, tt.wantCode, out, errOut)
			}
		})
	}
}

// TestLocalProjectsNeedNoAWS checks that the s3 store is built only when an
// s3:// URL is used: a file-only project runs with an AWS environment that
// could not work.
func TestLocalProjectsNeedNoAWS(t *testing.T) {
	t.Parallel()
	dir := writeProject(t, map[string]string{
		"pipelines/orders.yaml": ordersSpec,
		"data/in/a.csv":         "id,amount\n1,2.50\n",
	})
	env := map[string]string{"AWS_PROFILE": "sluice-test-no-such-profile"}
	out, errOut, code := sluice(t, env, "run", "-p", dir, "--all", "--json")
	if code != 0 || !strings.Contains(out, `"rows_loaded":1`) {
		t.Fatalf("run: %d\n%s\n%s", code, out, errOut)
	}
}
