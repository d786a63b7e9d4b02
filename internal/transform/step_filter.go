package transform

import (
	"fmt"
	"reflect"

	"github.com/sluice-data/sluice/internal/record"
	"github.com/sluice-data/sluice/internal/spec"
)

// filterStep keeps the rows for which its expression is true. False and null
// drop the row (Filtered), as SQL's WHERE does; any other result, or an error,
// rejects it.
type filterStep struct {
	expr *expression
}

func compileFilter(lib *library, st spec.Step) (step, []error) {
	e, err := compileExpr(lib, "filter", *st.Filter)
	if err != nil {
		return nil, []error{err}
	}
	if t := e.prog.Node().Type(); t != nil && t.Kind() != reflect.Interface && t.Kind() != reflect.Bool {
		return nil, []error{spec.Errorf(st.Filter.Pos, "filter: expression must be true or false, but it gives %s", t)}
	}
	return &filterStep{expr: e}, nil
}

func (s *filterStep) bind(sc *scope) (op, error) {
	be, err := bindExpr(s.expr, sc, "filter")
	return &filterOp{expr: be}, err
}

type filterOp struct {
	expr *boundExpr
}

func (o *filterOp) apply(c *chain) (Outcome, *Reject) {
	v, err := o.expr.eval(c)
	if err != nil {
		return Rejected, &Reject{Reason: "filter: " + reason(err)}
	}
	switch x := v.(type) {
	case bool:
		if x {
			return Kept, nil
		}
		return Filtered, nil
	case nil:
		return Filtered, nil
	}
	return Rejected, &Reject{Reason: fmt.Sprintf("filter: result %s is not true or false", describe(v)), Value: record.String(v)}
}
