package entra_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/d365consent/d365consent/internal/flows/entra"
)

// certChain makes a CA and a leaf it signed, with the leaf's key.
func certChain(t *testing.T) (leaf, ca *x509.Certificate, key *ecdsa.PrivateKey) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	key, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Test CA"}, NotBefore: now, NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ = x509.ParseCertificate(caDER)
	leafTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "monitor"}, NotBefore: now, NotAfter: now.Add(time.Hour)}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ = x509.ParseCertificate(leafDER)
	return leaf, ca, key
}

// A PKCS#12 file with a certificate chain is read whole (the leaf first), in the
// modern encryption (PBES2 with AES, OpenSSL 3's default) as in the legacy one
// (3DES, Windows and Key Vault exports): no conversion with -legacy is needed.
func TestPKCS12ChainsAndModernEncryption(t *testing.T) {
	leaf, ca, key := certChain(t)
	for name, enc := range map[string]*pkcs12.Encoder{"modern AES": pkcs12.Modern, "legacy 3DES": pkcs12.LegacyDES} {
		data, err := enc.Encode(key, leaf, []*x509.Certificate{ca}, "pw")
		if err != nil {
			t.Fatal(err)
		}
		certs, k, err := entra.ParseCertificate(data, "pw")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(certs) != 2 || !certs[0].Equal(leaf) || !certs[1].Equal(ca) || !key.Equal(k) {
			t.Fatalf("%s: %d certificates (leaf first %v), key matches %v", name, len(certs), len(certs) > 0 && certs[0].Equal(leaf), key.Equal(k))
		}
		if _, _, err := entra.ParseCertificate(data, "wrong"); err == nil || err.Error() != "PKCS#12: wrong password (set it in D365CONSENT_CERTIFICATE_PASSWORD)" {
			t.Fatalf("%s, wrong password: %v", name, err)
		}
	}
}
