// Package keys is binvault's key format: "bv_mk_" (API key) or "bv_ak_"
// (access key), then 43 base62 characters holding 256 random bits, then 6
// base62 characters of a CRC32 checksum over everything before them.
//
// The checksum lets a server refuse a mistyped or truncated key without a
// store lookup, and lets secret scanners recognise real keys; the prefix
// tells people and scanners what kind of key leaked.
package keys

import (
	"crypto/rand"
	"errors"
	"fmt"
	"hash/crc32"
	"math/big"

	"github.com/binvault/binvault"
)

// Prefixes of the two kinds of key.
const (
	APIPrefix    = "bv_mk_"
	AccessPrefix = "bv_ak_"
)

const (
	alphabet    = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	prefixLen   = 6
	bodyLen     = 43 // ceil(256 / log2(62))
	checksumLen = 6  // 62^6 > 2^32
	// Len is the length of every key.
	Len = prefixLen + bodyLen + checksumLen
)

// ErrMalformed reports a string that is not a well-formed key.
var ErrMalformed = errors.New("malformed key")

// Format implements binvault.KeyFormat.
type Format struct{}

// Generate returns a new key of the given kind.
func (Format) Generate(kind binvault.KeyKind) (string, error) {
	prefix, err := prefixOf(kind)
	if err != nil {
		return "", err
	}
	var random [32]byte
	if _, err := rand.Read(random[:]); err != nil {
		return "", fmt.Errorf("read random: %w", err)
	}
	head := prefix + base62(new(big.Int).SetBytes(random[:]), bodyLen)
	return head + checksum(head), nil
}

// Parse returns the kind of a well-formed key; ErrMalformed for anything
// else, including a key whose checksum does not match.
func (Format) Parse(s string) (binvault.KeyKind, error) {
	if len(s) != Len {
		return "", ErrMalformed
	}
	var kind binvault.KeyKind
	switch s[:prefixLen] {
	case APIPrefix:
		kind = binvault.KindAPI
	case AccessPrefix:
		kind = binvault.KindAccess
	default:
		return "", ErrMalformed
	}
	for i := prefixLen; i < Len; i++ {
		if !isBase62(s[i]) {
			return "", ErrMalformed
		}
	}
	if checksum(s[:Len-checksumLen]) != s[Len-checksumLen:] {
		return "", ErrMalformed
	}
	return kind, nil
}

func prefixOf(kind binvault.KeyKind) (string, error) {
	switch kind {
	case binvault.KindAPI:
		return APIPrefix, nil
	case binvault.KindAccess:
		return AccessPrefix, nil
	}
	return "", fmt.Errorf("unknown key kind %q", kind)
}

// checksum is the CRC32 (IEEE) of head in 6 base62 characters.
func checksum(head string) string {
	sum := crc32.ChecksumIEEE([]byte(head))
	var out [checksumLen]byte
	for i := checksumLen - 1; i >= 0; i-- {
		out[i] = alphabet[sum%62]
		sum /= 62
	}
	return string(out[:])
}

// base62 renders n in exactly width digits, left-padded with zeros.
func base62(n *big.Int, width int) string {
	out := make([]byte, width)
	base, mod := big.NewInt(62), new(big.Int)
	for i := width - 1; i >= 0; i-- {
		n.DivMod(n, base, mod)
		out[i] = alphabet[mod.Int64()]
	}
	return string(out)
}

func isBase62(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
}
