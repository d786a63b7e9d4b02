package transform

import "time"

// nullFuncs are the functions that handle nulls themselves. Together with expr's
// `a ?? b` and `a ? b : c` they are how an expression deals with missing values,
// since arithmetic and comparison on a null are errors (the row is rejected).
func nullFuncs() []*function {
	return []*function{
		{name: "coalesce", min: 1, max: -1, nulls: true, call: func(a []any) (any, error) {
			for _, v := range a {
				if v != nil {
					return v, nil
				}
			}
			return nil, nil
		}},
		{name: "nullif", min: 2, max: 2, nulls: true, call: func(a []any) (any, error) {
			if equalValues(a[0], a[1]) {
				return nil, nil
			}
			return a[0], nil
		}},
		{name: "is_null", min: 1, max: 1, nulls: true, types: []any{new(func(any) bool)}, call: func(a []any) (any, error) {
			return a[0] == nil, nil
		}},
		{name: "if_null", min: 2, max: 2, nulls: true, call: func(a []any) (any, error) {
			if a[0] == nil {
				return a[1], nil
			}
			return a[0], nil
		}},
	}
}

// equalValues compares scalars, numbers by value whatever their Go type.
func equalValues(a, b any) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	if c, ok := compareValues(num(a), num(b)); ok {
		return c == 0
	}
	if x, ok := a.(time.Time); ok {
		if y, ok := b.(time.Time); ok {
			return x.Equal(y)
		}
	}
	return false
}
