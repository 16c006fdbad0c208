package password_test

import (
	"strings"
	"testing"

	"github.com/binvault/binvault/password"
)

func TestHashVerify(t *testing.T) {
	h := password.Argon2id{}
	hash, err := h.Hash("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=19456,t=2,p=1$") || strings.Contains(hash, "horse") {
		t.Fatalf("hash %q", hash)
	}
	if ok, err := h.Verify(hash, "correct horse battery staple"); err != nil || !ok {
		t.Fatalf("right password: %v, %v", ok, err)
	}
	if ok, err := h.Verify(hash, "Correct horse battery staple"); err != nil || ok {
		t.Fatalf("wrong password: %v, %v", ok, err)
	}
	if again, _ := h.Hash("correct horse battery staple"); again == hash {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	for _, bad := range []string{"", "plain", "$argon2i$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA", "$argon2id$v=19$m=x$c2FsdA$aGFzaA", "$argon2id$v=19$m=1,t=1,p=1$!!$aGFzaA"} {
		if _, err := h.Verify(bad, "pw"); err == nil {
			t.Errorf("Verify(%q) accepted a malformed hash", bad)
		}
	}
}
