package jsonpath

import (
	"fmt"
	"strconv"
	"strings"
)

// blanks is the RFC 9535 blank-space set; the dialect rewriter accepts the
// same characters the RFC parser does.
const blanks = " \t\n\r"

// normalizeExpr turns a JSONBin (Goessner-style) expression into RFC 9535
// syntax: it trims surrounding blanks, supplies the root identifier JSONBin
// lets users omit, and rewrites the (@.length-N) script index. Everything
// else is left for the RFC parser to accept or reject.
func normalizeExpr(expr string) (string, error) {
	expr = strings.Trim(expr, blanks)
	if expr == "" {
		return "", fmt.Errorf("%w: empty expression", ErrInvalidPath)
	}
	return rewriteLengthScripts(addRoot(expr)), nil
}

// addRoot prepends "$" or "$." so that "store.book", "..price" and "[0]"
// become "$.store.book", "$..price" and "$[0]".
func addRoot(expr string) string {
	switch expr[0] {
	case '$':
		return expr
	case '.', '[':
		return "$" + expr
	default:
		return "$." + expr
	}
}

// rewriteLengthScripts replaces every bracketed Goessner script index
// "[(@.length-N)]" with its RFC equivalent "[-N]". String literals are
// copied verbatim so a quoted name that happens to look like a script is not
// touched. Unrecognised scripts are left alone, and the RFC parser then
// rejects them.
func rewriteLengthScripts(expr string) string {
	var b strings.Builder
	b.Grow(len(expr))
	var quote byte // the open string literal's quote character, or 0
	for i := 0; i < len(expr); i++ {
		c := expr[i]
		switch {
		case quote != 0 && c == '\\' && i+1 < len(expr):
			b.WriteByte(c)
			i++
			c = expr[i]
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
		case c == '\'' || c == '"':
			quote = c
		case c == '[':
			if repl, n, ok := lengthScript(expr[i+1:]); ok {
				b.WriteByte('[')
				b.WriteString(repl)
				i += n
				continue
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}

// lengthScript matches "(@.length-N)" (blanks allowed between tokens) at the
// start of s, where s follows a '[' and the script must be the whole
// selector. It returns the replacement selector and how many bytes of s it
// consumed, stopping before the closing ']'.
func lengthScript(s string) (repl string, n int, ok bool) {
	rest, ok := eat(s, "(")
	if ok {
		rest, ok = eat(rest, "@.length")
	}
	if ok {
		rest, ok = eat(rest, "-")
	}
	if !ok {
		return "", 0, false
	}
	rest = strings.TrimLeft(rest, blanks)
	digits := rest[:len(rest)-len(strings.TrimLeft(rest, "0123456789"))]
	count, err := strconv.ParseUint(digits, 10, 64)
	if err != nil {
		return "", 0, false
	}
	rest, ok = eat(rest[len(digits):], ")")
	rest = strings.TrimLeft(rest, blanks)
	if !ok || !strings.HasPrefix(rest, "]") {
		return "", 0, false
	}
	return lengthIndex(count), len(s) - len(rest), true
}

// lengthIndex returns the RFC selector for Goessner's @.length-count.
// @.length-0 is one past the end and so never matches; RFC 9535 forbids the
// index "-0", so an always-empty slice stands in for it.
func lengthIndex(count uint64) string {
	if count == 0 {
		return "0:0"
	}
	return "-" + strconv.FormatUint(count, 10)
}

// eat skips leading blanks in s and then the literal token tok.
func eat(s, tok string) (string, bool) {
	return strings.CutPrefix(strings.TrimLeft(s, blanks), tok)
}
