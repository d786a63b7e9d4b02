package transform

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/builtin"
	"github.com/expr-lang/expr/patcher"

	"github.com/sluice-data/sluice/internal/record"
	"github.com/sluice-data/sluice/internal/spec"
	"github.com/sluice-data/sluice/internal/timefmt"
)

// function is one function of the expression language.
type function struct {
	name  string
	min   int
	max   int  // -1: any number of arguments
	nulls bool // receives null arguments; otherwise a null argument gives null
	types []any
	call  func(args []any) (any, error)
}

// checkArity returns a message when n arguments do not suit the function.
func (f *function) checkArity(n int) string {
	switch {
	case n >= f.min && (f.max < 0 || n <= f.max):
		return ""
	case f.max < 0:
		return fmt.Sprintf("%s takes at least %d argument%s, not %d", f.name, f.min, plural(f.min), n)
	case f.min == f.max:
		return fmt.Sprintf("%s takes %d argument%s, not %d", f.name, f.min, plural(f.min), n)
	}
	return fmt.Sprintf("%s takes %d to %d arguments, not %d", f.name, f.min, f.max, n)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// library is the function set of one Program. now() and today() are fixed when
// the program is compiled, so every row of a run sees the same instant, as SQL's
// now() does within a transaction; that keeps a run's output reproducible from
// its inputs and its start time.
type library struct {
	funcs map[string]*function
	opts  []expr.Option
	now   time.Time

	mu      sync.Mutex
	regexes map[string]*regexp.Regexp
	layouts map[string]*timefmt.Layout
}

var builtinNames = func() map[string]bool {
	m := make(map[string]bool, len(builtin.Builtins))
	for _, f := range builtin.Builtins {
		m[f.Name] = true
	}
	return m
}()

func newLibrary(now time.Time) *library {
	l := &library{funcs: map[string]*function{}, now: now.UTC()}
	for _, group := range [][]*function{stringFuncs(l), numberFuncs(), timeFuncs(l), nullFuncs()} {
		for _, f := range group {
			l.funcs[f.name] = f
		}
	}
	l.opts = append(l.opts, expr.Patch(patcher.WithTimezone{Location: time.UTC})) // expr's date() in UTC
	for _, f := range l.funcs {
		l.opts = append(l.opts, expr.Function(wireName(f.name), f.wrap(), f.types...))
	}
	return l
}

// wireName is the name registered with expr (see containsAlias).
func wireName(name string) string {
	if name == "contains" {
		return containsAlias
	}
	return name
}

// lookup finds a function by the name expr sees.
func (l *library) lookup(name string) *function {
	if name == containsAlias {
		name = "contains"
	}
	return l.funcs[name]
}

// wrap adapts a function to expr: nulls in, null out, unless the function
// handles nulls itself.
func (f *function) wrap() func(params ...any) (any, error) {
	return func(params ...any) (any, error) {
		if !f.nulls && slices.Contains(params, nil) {
			return nil, nil
		}
		v, err := f.call(params)
		if err != nil {
			return nil, &funcError{err}
		}
		return v, nil
	}
}

// options returns the expr options that install the library.
func (l *library) options() []expr.Option { return slices.Clip(l.opts) }

func (l *library) isBuiltin(name string) bool { return builtinNames[name] }

// unknown is the message for a call of a function that does not exist: a
// suggestion when one name is close, else the list.
func (l *library) unknown(name string) string {
	names := make([]string, 0, len(l.funcs))
	for n := range l.funcs {
		names = append(names, n)
	}
	slices.Sort(names)
	best, bestDist := "", 2 // a suggestion within one edit, or two for long names
	if len(name) > 5 {
		bestDist = 3
	}
	for _, n := range append(names, slices.Sorted(maps.Keys(builtinNames))...) {
		d := spec.EditDistance(strings.ToLower(strings.ReplaceAll(name, "_", "")), strings.ReplaceAll(n, "_", ""))
		if d < bestDist {
			best, bestDist = n, d
		}
	}
	if best != "" {
		return fmt.Sprintf("unknown function %s (did you mean %s?)", name, best)
	}
	return fmt.Sprintf("unknown function %s (functions: %s)", name, strings.Join(names, ", "))
}

// checkConstants validates constant regex, format and unit arguments at compile
// time, so that a typo is a spec error rather than a reject on every row.
func (l *library) checkConstants(name string, args []ast.Node) string {
	constArg := func(i int) (string, bool) {
		if i >= len(args) {
			return "", false
		}
		s, ok := args[i].(*ast.StringNode)
		if !ok {
			return "", false
		}
		return s.Value, true
	}
	switch name {
	case "regex_match", "regex_replace":
		if re, ok := constArg(1); ok {
			if _, err := l.regex(re); err != nil {
				return fmt.Sprintf("%s: %v", name, err)
			}
		}
	case "parse_date", "parse_timestamp", "format_time":
		if f, ok := constArg(1); ok {
			if _, err := l.layout(f); err != nil {
				return fmt.Sprintf("%s: %v", name, err)
			}
		}
	case "date_trunc":
		if u, ok := constArg(0); ok {
			if _, err := truncate(time.Time{}, u); err != nil {
				return err.Error()
			}
		}
	}
	return ""
}

// cacheLimit bounds the per-program caches of compiled regexes and formats; an
// expression that builds patterns from data still works, only uncached.
const cacheLimit = 256

func (l *library) regex(pattern string) (*regexp.Regexp, error) {
	l.mu.Lock()
	re := l.regexes[pattern]
	l.mu.Unlock()
	if re != nil {
		return re, nil
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, fmt.Errorf("invalid regex %q: %w", pattern, unwrapRegexErr(err))
	}
	l.mu.Lock()
	if l.regexes == nil {
		l.regexes = map[string]*regexp.Regexp{}
	}
	if len(l.regexes) < cacheLimit {
		l.regexes[pattern] = re
	}
	l.mu.Unlock()
	return re, nil
}

// unwrapRegexErr drops the pattern that regexp repeats in its message.
func unwrapRegexErr(err error) error {
	var se *syntax.Error
	if errors.As(err, &se) {
		return fmt.Errorf("%s", se.Code)
	}
	return err
}

func (l *library) layout(format string) (*timefmt.Layout, error) {
	l.mu.Lock()
	lay := l.layouts[format]
	l.mu.Unlock()
	if lay != nil {
		return lay, nil
	}
	lay, err := timefmt.Compile(format)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	if l.layouts == nil {
		l.layouts = map[string]*timefmt.Layout{}
	}
	if len(l.layouts) < cacheLimit {
		l.layouts[format] = lay
	}
	l.mu.Unlock()
	return lay, nil
}

// Argument helpers. Errors name the function so a reject reason says where.

// text returns a scalar argument's text form.
func text(fn string, v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case int64, float64, bool, time.Time, record.Decimal, int:
		return record.String(x), nil
	}
	return "", fmt.Errorf("%s: expects text, got %s", fn, describe(v))
}

// integer returns an integral argument as an int.
func integer(fn, what string, v any) (int, error) {
	switch x := v.(type) {
	case int:
		return x, nil
	case int64:
		if x >= math.MinInt32 && x <= math.MaxInt32 {
			return int(x), nil
		}
	case float64:
		if x == math.Trunc(x) && math.Abs(x) <= math.MaxInt32 {
			return int(x), nil
		}
	}
	return 0, fmt.Errorf("%s: %s must be an integer, got %s", fn, what, describe(v))
}

// timeArg returns a date or timestamp argument; ISO 8601 text is accepted.
func timeArg(fn string, v any) (time.Time, error) {
	switch x := v.(type) {
	case time.Time:
		return x.UTC(), nil
	case string:
		if t, _, ok := timefmt.ParseISO(strings.TrimSpace(x)); ok {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%s: expects a date or timestamp, got %s", fn, describe(v))
}

// describe renders a value and its type for an error message.
func describe(v any) string {
	if v == nil {
		return "null"
	}
	if _, ok := v.(string); ok {
		return fmt.Sprintf("%q", cut(v.(string)))
	}
	switch v.(type) {
	case map[string]any, []any:
		b, _ := json.Marshal(v)
		return "json " + cut(string(b))
	}
	return fmt.Sprintf("%s (%s)", cut(record.String(v)), typeName(v))
}

// typeName names a runtime value's type in the spec's vocabulary.
func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "text"
	case int, int64:
		return "bigint"
	case float64:
		return "double"
	case bool:
		return "boolean"
	case time.Time:
		return "timestamp"
	case map[string]any, []any:
		return "json"
	}
	return fmt.Sprintf("%T", v)
}

func cut(s string) string {
	if len(s) <= 40 {
		return s
	}
	i := 40
	for i > 0 && s[i]&0xC0 == 0x80 {
		i--
	}
	return s[:i] + "…"
}
