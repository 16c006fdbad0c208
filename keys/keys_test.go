package keys_test

import (
	"regexp"
	"testing"

	"github.com/binvault/binvault"
	"github.com/binvault/binvault/keys"
)

func TestGenerateParse(t *testing.T) {
	shape := map[binvault.KeyKind]*regexp.Regexp{
		binvault.KindAPI:    regexp.MustCompile(`^bv_mk_[0-9A-Za-z]{49}$`),
		binvault.KindAccess: regexp.MustCompile(`^bv_ak_[0-9A-Za-z]{49}$`),
	}
	for kind, re := range shape {
		t.Run(string(kind), func(t *testing.T) {
			seen := map[string]bool{}
			for range 100 {
				k, err := keys.Format{}.Generate(kind)
				if err != nil {
					t.Fatal(err)
				} else if !re.MatchString(k) {
					t.Fatalf("key %q does not match %s", k, re)
				} else if seen[k] {
					t.Fatalf("key %q generated twice", k)
				}
				seen[k] = true
				if got, err := (keys.Format{}).Parse(k); err != nil || got != kind {
					t.Fatalf("Parse(%q) = %q, %v; want %q", k, got, err, kind)
				}
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	good, err := keys.Format{}.Generate(binvault.KindAPI)
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) string {
		b := []byte(good)
		if b[i] == 'a' {
			b[i] = 'b'
		} else {
			b[i] = 'a'
		}
		return string(b)
	}
	for name, s := range map[string]string{
		"Empty":             "",
		"Truncated":         good[:len(good)-1],
		"TooLong":           good + "a",
		"WrongPrefix":       "bv_xx_" + good[6:],
		"BodyTypo":          flip(20),
		"ChecksumTypo":      flip(len(good) - 1),
		"NonBase62":         good[:10] + "-" + good[11:],
		"BcryptLikeJSONBin": "$2a$10$abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ012",
		"OtherKindSameBody": keys.AccessPrefix + good[6:],
	} {
		t.Run(name, func(t *testing.T) {
			if kind, err := (keys.Format{}).Parse(s); err == nil {
				t.Fatalf("Parse(%q) = %q, want error", s, kind)
			}
		})
	}
}
