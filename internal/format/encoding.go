package format

import (
	"fmt"
	"io"
	"strings"

	"golang.org/x/text/encoding/charmap"
)

// decodeText wraps r so that it yields UTF-8 from the named encoding.
func decodeText(r io.Reader, encoding string) (io.Reader, error) {
	switch strings.ToLower(encoding) {
	case "", "utf-8", "utf8":
		return r, nil
	case "latin-1", "latin1", "iso-8859-1":
		return charmap.ISO8859_1.NewDecoder().Reader(r), nil
	case "windows-1252", "cp1252":
		return charmap.Windows1252.NewDecoder().Reader(r), nil
	}
	return nil, fmt.Errorf("unknown encoding %q: use utf-8, latin-1 or windows-1252", encoding)
}

func isUTF8(encoding string) bool {
	switch strings.ToLower(encoding) {
	case "", "utf-8", "utf8":
		return true
	}
	return false
}
