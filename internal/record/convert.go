package record

import "errors"

// Convert converts v to type t: the semantics of a cast step and of inference.
// nil converts to nil. It returns an error that says why, for a reject reason,
// for example `cannot cast "abc" to bigint`.
func Convert(v any, t Type) (any, error) {
	return nil, errors.New("record: Convert not implemented")
}

// Infer returns the narrowest type that v belongs to, for type inference. A string
// is inspected (boolean, bigint, double, date, timestamp, timestamptz, else text);
// nil returns the zero Type (KindUnknown).
func Infer(v any) Type {
	return Type{}
}

// String renders a value as text: how it is shown in rejects and how a text column
// stores a non-text value.
func String(v any) string { return "" }
