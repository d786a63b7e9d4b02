// Package timefmt parses and formats times with strftime-style formats, as pandas
// and Python's datetime do: %Y-%m-%d %H:%M:%S and friends.
package timefmt

import (
	"errors"
	"time"
)

// Layout is a compiled strftime format.
type Layout struct {
	src string
}

// Compile compiles a strftime format. An unknown directive is an error that names
// it and lists the supported ones.
func Compile(format string) (*Layout, error) {
	return nil, errors.New("timefmt: not implemented")
}

// Parse parses s with the layout. Times without a zone are UTC.
func (l *Layout) Parse(s string) (time.Time, error) {
	return time.Time{}, errors.New("timefmt: not implemented")
}

// Format formats t with the layout.
func (l *Layout) Format(t time.Time) string { return "" }

// String returns the format as written.
func (l *Layout) String() string { return l.src }
