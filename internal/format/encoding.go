package format

import (
	"encoding/binary"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// Files in a single-byte encoding are parsed as they are, byte by byte, and
// each record's text is converted to UTF-8 once parsed: the delimiter, quote and
// escape characters are encoded into the file's encoding instead of the file
// being decoded. ASCII records, the common case, need no conversion at all.

// charmapFor returns the single-byte character map of an encoding name, or nil
// for UTF-8.
func charmapFor(name string) (*charmap.Charmap, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "", "utf-8", "utf8":
		return nil, nil
	case "latin-1", "latin1", "iso-8859-1", "iso8859-1":
		return charmap.ISO8859_1, nil
	case "windows-1252", "cp1252":
		return charmap.Windows1252, nil
	}
	return nil, fmt.Errorf("unknown encoding %q: use utf-8, latin-1 or windows-1252", name)
}

// encodeRune returns r as it is written in the file: UTF-8, or one byte of cm.
func encodeRune(r rune, cm *charmap.Charmap) ([]byte, bool) {
	if cm == nil {
		if !utf8.ValidRune(r) {
			return nil, false
		}
		return utf8.AppendRune(nil, r), true
	}
	b, ok := cm.EncodeRune(r)
	return []byte{b}, ok
}

// decodeText wraps r so that it yields UTF-8 from cm (nil: r is UTF-8).
func decodeText(r io.Reader, cm *charmap.Charmap) io.Reader {
	if cm == nil {
		return r
	}
	return cm.NewDecoder().Reader(r)
}

// appendDecoded appends src, in cm's encoding, to dst as UTF-8.
func appendDecoded(dst, src []byte, cm *charmap.Charmap) []byte {
	for _, b := range src {
		if b < utf8.RuneSelf {
			dst = append(dst, b)
		} else {
			dst = utf8.AppendRune(dst, cm.DecodeByte(b))
		}
	}
	return dst
}

// isASCII reports whether b is 7-bit ASCII, eight bytes at a time.
func isASCII(b []byte) bool {
	for len(b) >= 8 {
		if binary.LittleEndian.Uint64(b)&0x8080808080808080 != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
