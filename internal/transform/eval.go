package transform

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"time"

	"github.com/expr-lang/expr/file"

	"github.com/sluice-data/sluice/internal/record"
	"github.com/sluice-data/sluice/internal/spec"
)

// boundExpr is an expression bound to the slots of the columns it reads.
type boundExpr struct {
	*expression
	names []string // environment keys, one per slot
	slots []int
}

// bindExpr resolves the expression's column references in the scope; a missing
// column is an error at its position inside the expression.
func bindExpr(e *expression, sc *scope, what string) (*boundExpr, error) {
	b := &boundExpr{expression: e}
	var errs []error
	if e.allEnv { // $env[...] with a computed key: every column is visible
		for i, name := range sc.names {
			b.names = append(b.names, name)
			b.slots = append(b.slots, sc.slots[i])
		}
	}
	for _, r := range e.refs {
		i := sc.index(r.name)
		if i < 0 {
			if !e.allEnv {
				errs = append(errs, exprError(spec.Expr{Pos: e.pos, Text: e.text}, what, e.text, r.offset, sc.missing(r.name)))
			}
			continue
		}
		if !e.allEnv {
			b.names = append(b.names, r.name)
			b.slots = append(b.slots, sc.slots[i])
		}
	}
	return b, errors.Join(errs...)
}

// eval runs the expression on the chain's current row.
func (b *boundExpr) eval(c *chain) (any, error) {
	env := c.env
	if b.allEnv {
		clear(env)
	}
	for i, name := range b.names {
		env[name] = envValue(c.vals[b.slots[i]])
	}
	out, err := c.vm.Run(b.prog, env)
	if err != nil {
		return nil, err
	}
	return resultValue(out)
}

// envValue is a column value as expressions see it: numbers as int64 or float64
// (decimals become float64), JSON decoded into maps and slices.
func envValue(v any) any {
	switch x := v.(type) {
	case json.Number:
		return jsonNumber(x)
	case record.Decimal:
		f, _ := strconv.ParseFloat(string(x), 64)
		return f
	case record.JSON:
		d := json.NewDecoder(bytes.NewReader(x))
		d.UseNumber()
		var doc any
		if d.Decode(&doc) != nil {
			return string(x)
		}
		return numbers(doc)
	}
	return v
}

func jsonNumber(n json.Number) any {
	if i, err := n.Int64(); err == nil {
		return i
	}
	if f, err := n.Float64(); err == nil {
		return f
	}
	return string(n)
}

// numbers replaces json.Number inside a decoded document.
func numbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		return jsonNumber(x)
	case map[string]any:
		for k, e := range x {
			x[k] = numbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = numbers(e)
		}
	}
	return v
}

// resultValue turns an expression's result into a record value.
func resultValue(v any) (any, error) {
	switch x := v.(type) {
	case nil, string, bool, int64, record.Decimal, record.JSON:
		return v, nil
	case int:
		return int64(x), nil
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return nil, errors.New("result is not a finite number (division by zero?)")
		}
		return x, nil
	case time.Time:
		return x.UTC(), nil
	case time.Duration:
		return x.String(), nil
	case []byte:
		return string(x), nil
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int(), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if u := rv.Uint(); u <= math.MaxInt64 {
			return int64(u), nil
		}
		return nil, errors.New("result is out of range for bigint")
	case reflect.Float32:
		return resultValue(rv.Float())
	case reflect.Map, reflect.Slice, reflect.Array, reflect.Struct:
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("result cannot be stored as json: %v", err)
		}
		return record.JSON(b), nil
	case reflect.String:
		return rv.String(), nil
	case reflect.Bool:
		return rv.Bool(), nil
	}
	return fmt.Sprint(v), nil
}

// funcError marks an error raised by a library function, whose message is
// already written for people.
type funcError struct{ err error }

func (e *funcError) Error() string { return e.err.Error() }
func (e *funcError) Unwrap() error { return e.err }

// goTypes matches the Go type names in expr's runtime messages.
var goTypes = regexp.MustCompile(`map\[string\]interface \{\}|\[\]interface \{\}|time\.Time|time\.Duration|<nil>|\b(?:u?int(?:8|16|32|64)?|float(?:32|64)|string|bool)\b`)

var typeWords = map[string]string{
	"<nil>": "null", "string": "text", "bool": "boolean", "float64": "double", "float32": "double",
	"time.Time": "timestamp", "time.Duration": "duration", "map[string]interface {}": "json", "[]interface {}": "json",
}

// reason turns an evaluation error into a short reject reason: the message
// without the expression snippet, in the spec's type names.
func reason(err error) string {
	var fe *funcError
	if errors.As(err, &fe) {
		return cutReason(unalias(fe.Error()))
	}
	msg := err.Error()
	var xe *file.Error
	if errors.As(err, &xe) {
		msg = xe.Message
	}
	msg = goTypes.ReplaceAllStringFunc(unalias(msg), func(w string) string {
		if t, ok := typeWords[w]; ok {
			return t
		}
		return "bigint" // the integer types
	})
	return cutReason(msg)
}

func cutReason(s string) string {
	if len(s) <= 200 {
		return s
	}
	i := 200
	for i > 0 && s[i]&0xC0 == 0x80 {
		i--
	}
	return s[:i] + "…"
}
