package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/sluice-data/sluice/internal/source"
	"github.com/sluice-data/sluice/internal/spec"
)

// EnvS3KMSKeyID names the KMS key (id, ARN or alias) that the objects Sluice
// writes to S3 (rejects, run results) are encrypted with; unset, the bucket's
// default encryption applies.
const EnvS3KMSKeyID = "SLUICE_S3_KMS_KEY_ID"

// maxSpecBytes bounds a pipeline spec read from object storage.
const maxSpecBytes = 1 << 20

// newStorage returns the router of every storage scheme: file:// and s3://. The
// AWS client is built on the first s3:// use, so local projects never need any
// AWS configuration.
func newStorage(getenv func(string) string) *source.Router {
	r := source.NewRouter()
	r.Register("s3", source.Lazy(func(ctx context.Context) (source.Store, error) {
		client, err := source.NewS3Client(ctx, s3Config(getenv))
		if err != nil {
			return nil, err
		}
		return source.NewS3(client, source.S3Options{KMSKeyID: getenv(EnvS3KMSKeyID)}), nil
	}))
	return r
}

// s3Config takes the AWS settings from the environment. The SDK's default chain
// reads the same variables itself; passing them on keeps the environment given
// to Main (tests, the Lambda runtime) the one that counts.
func s3Config(getenv func(string) string) source.S3Config {
	first := func(names ...string) string {
		for _, n := range names {
			if v := getenv(n); v != "" {
				return v
			}
		}
		return ""
	}
	c := source.S3Config{
		Region:  first("AWS_REGION", "AWS_DEFAULT_REGION"),
		Profile: getenv("AWS_PROFILE"),
	}
	if !strings.EqualFold(getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"), "true") {
		c.Endpoint = first("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL")
	}
	if id := getenv("AWS_ACCESS_KEY_ID"); id != "" && c.Profile == "" {
		c.AccessKeyID, c.SecretAccessKey, c.SessionToken = id, getenv("AWS_SECRET_ACCESS_KEY"), getenv("AWS_SESSION_TOKEN")
	}
	return c
}

// projectPipelines reads the project's pipeline specs from its pipelines
// folder: a local folder, or an s3:// prefix read through storage (nil: a new
// router). With check, pipelines that decoded only in part are returned too,
// for validate.
func projectPipelines(ctx context.Context, env *Env, proj *spec.Project, storage *source.Router, check bool) ([]*spec.Pipeline, error) {
	folder := proj.Resolve(proj.PipelinesFolder())
	if !strings.Contains(folder, "://") || strings.HasPrefix(folder, "file://") {
		if check {
			return spec.CheckPipelines(proj, env.Getenv)
		}
		return spec.LoadPipelines(proj, env.Getenv)
	}
	if storage == nil {
		storage = newStorage(env.Getenv)
	}
	objs, err := storage.List(ctx, folder, "*.{yaml,yml}")
	if err != nil {
		return nil, fmt.Errorf("reading the pipelines folder: %w", err)
	}
	if len(objs) == 0 { // object storage has no folders: empty is as good as missing
		return nil, fmt.Errorf("pipelines folder %s holds no pipeline specs (*.yaml, *.yml): upload them there, or set pipelines: in sluice.yaml (or %s)", folder, spec.EnvPipelines)
	}
	files := make([]spec.PipelineFile, 0, len(objs))
	for _, o := range objs {
		data, err := readSpec(ctx, storage, o)
		if err != nil {
			return nil, err
		}
		files = append(files, spec.PipelineFile{Name: o.URL, Data: data})
	}
	if check {
		return spec.CheckPipelineFiles(files, env.Getenv)
	}
	return spec.LoadPipelineFiles(files, env.Getenv)
}

// readSpec reads one pipeline spec from storage.
func readSpec(ctx context.Context, storage *source.Router, obj source.Object) ([]byte, error) {
	rc, err := storage.Open(ctx, obj)
	if err != nil {
		return nil, fmt.Errorf("reading pipeline spec: %w", err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxSpecBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading pipeline spec %s: %w", obj.URL, err)
	}
	if len(data) > maxSpecBytes {
		return nil, fmt.Errorf("pipeline spec %s is larger than %d bytes: is it a spec?", obj.URL, maxSpecBytes)
	}
	return data, nil
}
