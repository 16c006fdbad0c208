package binvault

import (
	"strings"
	"testing"
)

func TestCheckRecord(t *testing.T) {
	v := &Vault{cfg: Config{}.withDefaults()}
	for name, c := range map[string]struct{ in, want, err string }{
		"KeepsKeyOrderAndNumbers":   {`{ "b": 1.0e2, "a": [ 1 ] }`, `{"b":1.0e2,"a":[1]}`, ""},
		"BracketsInStringsNotDepth": {`{"a":"` + strings.Repeat("[", 500) + `"}`, `{"a":"` + strings.Repeat("[", 500) + `"}`, ""},
		"EscapedQuoteInString":      {`["\"[[["]`, `["\"[[["]`, ""},
		"EmptyArrayAccepted":        {`[]`, `[]`, ""},
		"BlankObject":               {"\n{ }\n", "", MsgBinBlank},
		"Whitespace":                {"  ", "", MsgBinBlank},
		"Scalar":                    {`true`, "", MsgInvalidJSON},
		"TwoValues":                 {`{"a":1}{"b":2}`, "", MsgInvalidJSON},
		"TooDeep":                   {strings.Repeat(`{"a":`, 101) + "1" + strings.Repeat("}", 101), "", MsgInvalidJSON},
		"LoneSurrogateEscapeKept":   {`["\ud800"]`, `["\ud800"]`, ""},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := v.checkRecord([]byte(c.in), v.cfg.MaxBinSize)
			if c.err != "" {
				if ErrorMessage(err) != c.err {
					t.Fatalf("err %v, want %q", err, c.err)
				}
				return
			}
			if err != nil || string(got) != c.want {
				t.Fatalf("got %s, %v; want %s", got, err, c.want)
			}
		})
	}
	t.Run("SizeLimit", func(t *testing.T) {
		v := &Vault{cfg: Config{MaxBinSize: 10}.withDefaults()}
		if _, err := v.checkRecord([]byte(`["12345678"]`), v.cfg.MaxBinSize); ErrorCode(err) != ETOOLARGE || ErrorMessage(err) != "Bin size cannot exceed 10 bytes" {
			t.Fatalf("err %v", err)
		}
	})
}

func TestNamesAreText(t *testing.T) {
	for _, name := range []string{"a\x00b", "bad\xffutf8", "tab\there", "new\nline"} {
		if err := checkBinName(name); ErrorCode(err) != EINVALID {
			t.Errorf("checkBinName(%q) = %v, want EINVALID", name, err)
		}
		if validEmail("a" + name + "@example.com") {
			t.Errorf("email with %q accepted", name)
		}
	}
	if err := checkBinName("Ünïcode name ✓"); err != nil {
		t.Errorf("unicode name refused: %v", err)
	}
}
