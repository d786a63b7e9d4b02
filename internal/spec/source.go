package spec

import (
	"fmt"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
	"go.yaml.in/yaml/v3"
)

// Source formats and compressions a spec may name.
var (
	sourceFormats      = []string{"csv", "tsv", "jsonl", "json", "parquet"}
	sourceCompressions = []string{"gzip", "zstd", "none"}
)

func (d *decoder) source(n *yaml.Node, s *Source) {
	s.Pos = d.pos(n)
	var csvNode *yaml.Node
	lower := func(dst *string, what string, allowed []string) func(*yaml.Node) {
		return func(n *yaml.Node) {
			v, ok := d.str(n, what)
			if !ok || v == "" {
				return
			}
			if v = strings.ToLower(v); d.oneOf(n, what, v, allowed...) {
				*dst = v
			}
		}
	}
	d.mapping(n, "source", []field{
		{name: "path", required: true, decode: func(n *yaml.Node) {
			v, ok := d.str(n, "source.path")
			switch {
			case !ok:
			case v == "":
				d.errorf(n, "source.path is empty: write a folder below the project's storage, as in incoming/orders/, or a full s3:// or file:// URL")
			default:
				s.Path = v
			}
		}},
		{name: "pattern", decode: func(n *yaml.Node) {
			v, ok := d.str(n, "source.pattern")
			if !ok {
				return
			}
			if err := checkGlob(v); err != nil {
				d.errorf(n, "source.pattern: %v", err)
				return
			}
			s.Pattern = v
		}},
		{name: "format", decode: lower(&s.Format, "source.format", sourceFormats)},
		{name: "compression", decode: lower(&s.Compression, "source.compression", sourceCompressions)},
		{name: "csv", decode: func(n *yaml.Node) {
			csvNode = n
			d.csv(n, &s.CSV)
		}},
	})
	if csvNode != nil && s.Format != "" && s.Format != "csv" && s.Format != "tsv" {
		d.errorf(csvNode, "source.csv applies to csv and tsv files, but source.format is %s: remove it", s.Format)
	}
}

func (d *decoder) csv(n *yaml.Node, c *CSVOptions) {
	var delimNode *yaml.Node
	if !d.mapping(n, "source.csv", []field{
		{name: "delimiter", decode: func(n *yaml.Node) {
			if v, ok := d.char(n, "source.csv.delimiter", false); ok {
				if v == "\n" || v == "\r" {
					d.errorf(n, "source.csv.delimiter cannot be a line break")
					return
				}
				c.Delimiter, delimNode = v, n
			}
		}},
		{name: "header", decode: func(n *yaml.Node) {
			if b, ok := d.boolean(n, "source.csv.header"); ok {
				c.Header = &b
			}
		}},
		{name: "quote", decode: func(n *yaml.Node) {
			if v, ok := d.char(n, "source.csv.quote", true); ok {
				c.Quote, c.QuoteSet = v, true
			}
		}},
		{name: "escape", decode: func(n *yaml.Node) {
			if v, ok := d.char(n, "source.csv.escape", false); ok {
				c.Escape = v
			}
		}},
		{name: "null_values", decode: func(n *yaml.Node) {
			if n.Kind != yaml.SequenceNode {
				d.errorf(n, "source.csv.null_values: expected a list of strings, as in [\"\", NULL], found %s", describe(n))
				return
			}
			c.NullValues = []string{}
			for _, item := range n.Content {
				if s, ok := d.text(resolve(item), "source.csv.null_values"); ok {
					c.NullValues = append(c.NullValues, s)
				}
			}
		}},
		{name: "encoding", decode: func(n *yaml.Node) {
			v, ok := d.str(n, "source.csv.encoding")
			if !ok {
				return
			}
			switch strings.ToLower(v) {
			case "utf-8", "utf8":
				c.Encoding = "utf-8"
			case "latin-1", "latin1", "iso-8859-1":
				c.Encoding = "latin-1"
			case "windows-1252", "cp1252":
				c.Encoding = "windows-1252"
			default:
				d.errorf(n, "source.csv.encoding: %q is not supported; use utf-8, latin-1 or windows-1252", v)
			}
		}},
	}) {
		return
	}
	quote := `"`
	if c.QuoteSet {
		quote = c.Quote
	}
	if delimNode != nil && c.Delimiter == quote {
		d.errorf(delimNode, "source.csv.delimiter %q is also the quote character: set quote: to another one, or to '' for none", c.Delimiter)
	}
}

// char decodes an option that is one character. The two characters \t, as
// written in a plain or single-quoted YAML string, mean a tab too.
func (d *decoder) char(n *yaml.Node, what string, allowEmpty bool) (string, bool) {
	v, ok := d.str(n, what)
	if !ok {
		return "", false
	}
	if v == `\t` {
		v = "\t"
	}
	if (v == "" && !allowEmpty) || len([]rune(v)) > 1 {
		hint := ""
		if allowEmpty {
			hint = ", or '' for none"
		}
		d.errorf(n, "%s: expected one character%s, found %q", what, hint, v)
		return "", false
	}
	return v, true
}

// checkGlob checks a glob pattern as the source package will match it
// (doublestar: *, ?, [class], {a,b} and **), with a precise message for the
// common mistake of an unclosed bracket or brace.
func checkGlob(p string) error {
	var open []byte
	for i := 0; i < len(p); i++ {
		c := p[i]
		if len(open) > 0 && open[len(open)-1] == '[' && c != ']' && c != '\\' {
			continue // inside a class, braces are plain characters
		}
		switch c {
		case '\\':
			i++
		case '[', '{':
			open = append(open, c)
		case ']', '}':
			want := byte('[')
			if c == '}' {
				want = '{'
			}
			if len(open) == 0 || open[len(open)-1] != want {
				return fmt.Errorf("%q has a %q without its opening %q", p, c, want)
			}
			open = open[:len(open)-1]
		}
	}
	if len(open) > 0 {
		closing := map[byte]byte{'[': ']', '{': '}'}[open[len(open)-1]]
		return fmt.Errorf("%q has an unclosed %q: add %q", p, open[len(open)-1], closing)
	}
	if !doublestar.ValidatePattern(p) {
		return fmt.Errorf("%q is not a valid glob: use *, ?, [abc], {a,b} and **", p)
	}
	return nil
}
