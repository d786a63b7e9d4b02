// Package obs is Sluice's logging: one constructor that picks JSON lines or
// readable text, a handler that keeps secrets out of every line, and attributes
// carried by a context (run_id, request_id, aws_request_id, …) that every line
// logged with that context shows. docs/OPERATIONS.md fixes the key names.
//
// Metrics live in obs/metrics and alerts in obs/alert.
package obs

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// Log formats.
const (
	FormatAuto = "auto" // text on a terminal, JSON lines elsewhere and always in Lambda
	FormatJSON = "json"
	FormatText = "text"
)

// LogOptions configure NewLogger. The zero value logs at info level in the
// automatic format for a writer that is not a terminal: JSON lines.
type LogOptions struct {
	Level    string // debug, info, warn or error (any case); default info
	Format   string // auto, json or text (any case); default auto
	Terminal bool   // the writer is a terminal: auto then means text
	Lambda   bool   // running in AWS Lambda: auto then means JSON, whatever Terminal says
	// AddSource adds the caller's file:line to every line (for debugging).
	AddSource bool
}

// Environment variables read by LogOptionsFromEnv.
const (
	EnvLogLevel        = "SLUICE_LOG_LEVEL"
	EnvLogFormat       = "SLUICE_LOG_FORMAT"
	EnvLambdaLogLevel  = "AWS_LAMBDA_LOG_LEVEL"
	EnvLambdaLogFormat = "AWS_LAMBDA_LOG_FORMAT"
	EnvLambdaRuntime   = "AWS_LAMBDA_RUNTIME_API"
)

// LogOptionsFromEnv completes o from the environment, as OPERATIONS.md says:
// a Level or Format already set in o (from a flag) wins over SLUICE_LOG_LEVEL and
// SLUICE_LOG_FORMAT; in Lambda (AWS_LAMBDA_RUNTIME_API set) the function's log
// configuration, AWS_LAMBDA_LOG_LEVEL and AWS_LAMBDA_LOG_FORMAT, wins over both.
func LogOptionsFromEnv(o LogOptions, getenv func(string) string) LogOptions {
	if getenv(EnvLambdaRuntime) != "" {
		o.Lambda = true
	}
	if o.Level == "" {
		o.Level = getenv(EnvLogLevel)
	}
	if o.Format == "" || strings.EqualFold(o.Format, FormatAuto) {
		if f := getenv(EnvLogFormat); f != "" {
			o.Format = f
		}
	}
	if o.Lambda {
		if l := lambdaLevel(getenv(EnvLambdaLogLevel)); l != "" {
			o.Level = l
		}
		switch strings.ToUpper(getenv(EnvLambdaLogFormat)) {
		case "JSON":
			o.Format = FormatJSON
		case "TEXT":
			o.Format = FormatText
		}
	}
	return o
}

// lambdaLevel maps Lambda's log levels (TRACE, DEBUG, INFO, WARN, ERROR, FATAL)
// onto slog's.
func lambdaLevel(s string) string {
	switch strings.ToUpper(s) {
	case "TRACE", "DEBUG":
		return "debug"
	case "INFO":
		return "info"
	case "WARN":
		return "warn"
	case "ERROR", "FATAL":
		return "error"
	}
	return ""
}

// ParseLevel reads a log level: debug, info, warn (or warning) or error, in any
// case; "" is info.
func ParseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "info":
		return slog.LevelInfo, nil
	case "debug":
		return slog.LevelDebug, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("log level %q: use debug, info, warn or error", s)
}

// ParseFormat reads a log format: auto, json or text in any case; "" is auto.
func ParseFormat(s string) (string, error) {
	switch f := strings.ToLower(strings.TrimSpace(s)); f {
	case "":
		return FormatAuto, nil
	case FormatAuto, FormatJSON, FormatText:
		return f, nil
	}
	return "", fmt.Errorf("log format %q: use auto, json or text", s)
}

// NewLogger returns a logger writing to w: JSON lines (keys time, level, msg and
// the attributes) or key=value text, as o says. Every line goes through the
// redacting handler, and the attributes of the context passed to the *Context
// methods (WithAttrs) are added to it.
func NewLogger(w io.Writer, o LogOptions) (*slog.Logger, error) {
	level, err := ParseLevel(o.Level)
	if err != nil {
		return nil, err
	}
	format, err := ParseFormat(o.Format)
	if err != nil {
		return nil, err
	}
	if format == FormatAuto {
		format = FormatJSON
		if o.Terminal && !o.Lambda {
			format = FormatText
		}
	}
	ho := &slog.HandlerOptions{Level: level, AddSource: o.AddSource}
	var h slog.Handler
	if format == FormatText {
		h = slog.NewTextHandler(w, ho)
	} else {
		h = slog.NewJSONHandler(w, ho)
	}
	return slog.New(NewContextHandler(NewRedactHandler(h))), nil
}
