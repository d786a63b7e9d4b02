package obs

import (
	"context"
	"log/slog"
	"slices"
)

// Keys of the attributes that OPERATIONS.md puts on every line of a run, an API
// request or a Lambda invocation. Pass them to WithAttrs.
const (
	KeyRunID        = "run_id"
	KeyPipeline     = "pipeline"
	KeyRequestID    = "request_id"
	KeyMethod       = "method"
	KeyRoute        = "route"
	KeyAWSRequestID = "aws_request_id"
	KeyFunctionName = "function_name"
	KeyColdStart    = "cold_start"
	KeyError        = "error"
)

type attrsKey struct{}

// WithAttrs returns a context carrying attrs on top of those ctx carries already
// (a key given again replaces the earlier value). A logger made by NewLogger adds
// them to every line logged with that context: logger.InfoContext(ctx, …).
func WithAttrs(ctx context.Context, attrs ...slog.Attr) context.Context {
	if len(attrs) == 0 {
		return ctx
	}
	old := AttrsFrom(ctx)
	merged := make([]slog.Attr, 0, len(old)+len(attrs))
	for _, a := range old {
		if !slices.ContainsFunc(attrs, func(b slog.Attr) bool { return b.Key == a.Key }) {
			merged = append(merged, a)
		}
	}
	for _, a := range attrs {
		// The last of two equal keys in one call wins, too.
		merged = slices.DeleteFunc(merged, func(b slog.Attr) bool { return b.Key == a.Key })
		merged = append(merged, a)
	}
	return context.WithValue(ctx, attrsKey{}, merged)
}

// AttrsFrom returns the attributes ctx carries, oldest first. The slice must not
// be changed.
func AttrsFrom(ctx context.Context) []slog.Attr {
	if ctx == nil {
		return nil
	}
	a, _ := ctx.Value(attrsKey{}).([]slog.Attr)
	return a
}

// ContextHandler is a slog.Handler that adds the attributes of the record's
// context (WithAttrs) to every record. An attribute whose key the logger already
// has (from Logger.With at the top level, or on the record itself) is left out,
// so that a key never appears twice on a line.
type ContextHandler struct {
	next    slog.Handler
	keys    []string // top-level keys attached with WithAttrs
	grouped bool     // a group was opened: attached keys no longer clash with the context's
}

// NewContextHandler wraps next.
func NewContextHandler(next slog.Handler) *ContextHandler { return &ContextHandler{next: next} }

// Enabled reports whether the next handler logs at level.
func (h *ContextHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

// Handle adds the context's attributes and passes the record on.
func (h *ContextHandler) Handle(ctx context.Context, r slog.Record) error {
	extra := AttrsFrom(ctx)
	if len(extra) == 0 {
		return h.next.Handle(ctx, r)
	}
	present := map[string]bool{}
	for _, k := range h.keys {
		present[k] = true
	}
	if !h.grouped {
		r.Attrs(func(a slog.Attr) bool {
			present[a.Key] = true
			return true
		})
	}
	add := make([]slog.Attr, 0, len(extra))
	for _, a := range extra {
		if !present[a.Key] {
			add = append(add, a)
		}
	}
	if len(add) == 0 {
		return h.next.Handle(ctx, r)
	}
	// Inside a group (WithGroup) the context's attributes land in the group
	// too: a handler cannot add top-level keys there, and losing them is worse.
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	out.AddAttrs(add...)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(a)
		return true
	})
	return h.next.Handle(ctx, out)
}

// WithAttrs attaches attrs and remembers their keys.
func (h *ContextHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	h2 := &ContextHandler{next: h.next.WithAttrs(attrs), keys: h.keys, grouped: h.grouped}
	if !h.grouped {
		h2.keys = slices.Clip(h.keys)
		for _, a := range attrs {
			h2.keys = append(h2.keys, a.Key)
		}
	}
	return h2
}

// WithGroup opens a group.
func (h *ContextHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return &ContextHandler{next: h.next.WithGroup(name), keys: h.keys, grouped: true}
}

// With returns l with the attributes that ctx carries and attrs attached (attrs
// win over ctx's on equal keys), for code that logs without passing a context:
// a run's logger, say, whose every line then carries the request or Lambda
// invocation that started it.
func With(ctx context.Context, l *slog.Logger, attrs ...slog.Attr) *slog.Logger {
	merged := WithAttrs(WithAttrs(context.Background(), AttrsFrom(ctx)...), attrs...)
	as := AttrsFrom(merged)
	if len(as) == 0 {
		return l
	}
	args := make([]any, len(as))
	for i, a := range as {
		args[i] = a
	}
	return l.With(args...)
}
