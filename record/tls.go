package record

import (
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"os"
	"time"
)

// TLSFiles are a node's certificate, its key and the cluster's CA, PEM
// files (cluster.tls). Without them, crier derives the cluster's CA from
// its secret.
type TLSFiles struct {
	Cert, Key, CA string
}

// nodeTLS is the mutual TLS every connection between nodes runs over,
// Raft's and their HTTP alike: each end shows a certificate the cluster's
// CA signed, and accepts only one from the other. Names are not checked:
// a node's address is in Raft's configuration, and being signed by the
// cluster's CA is what makes a node.
func nodeTLS(nodeID, secret string, files *TLSFiles, now time.Time) (*tls.Config, error) {
	var cert tls.Certificate
	roots := x509.NewCertPool()
	if files != nil {
		var err error
		if cert, err = tls.LoadX509KeyPair(files.Cert, files.Key); err != nil {
			return nil, fmt.Errorf("the node's certificate (cluster.tls): %w", err)
		}
		pem, err := os.ReadFile(files.CA)
		if err != nil {
			return nil, fmt.Errorf("the cluster's CA (cluster.tls.ca): %w", err)
		}
		if !roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("the cluster's CA (cluster.tls.ca): %s holds no PEM certificate", files.CA)
		}
	} else {
		ca, caKey, err := derivedCA(secret)
		if err != nil {
			return nil, err
		}
		roots.AddCert(ca)
		if cert, err = nodeCertificate(nodeID, ca, caKey, now); err != nil {
			return nil, err
		}
	}
	verify := func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return errors.New("the other node showed no certificate")
		}
		between := x509.NewCertPool()
		for _, c := range cs.PeerCertificates[1:] {
			between.AddCert(c)
		}
		_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: between,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
		if err != nil {
			return fmt.Errorf("the other node's certificate is not the cluster's: %w", err)
		}
		return nil
	}
	return &tls.Config{
		MinVersion:         tls.VersionTLS13,
		Certificates:       []tls.Certificate{cert},
		ClientAuth:         tls.RequireAnyClientCert, // checked by verify, as the server's is
		InsecureSkipVerify: true,                     // names are not checked; verify checks the chain
		VerifyConnection:   verify,
	}, nil
}

// derivedCA is the cluster's CA made from its secret alone, the same on
// every node: an Ed25519 key from HKDF-SHA256 of the secret, and a
// certificate with fixed fields (Ed25519 signs deterministically).
func derivedCA(secret string) (*x509.Certificate, ed25519.PrivateKey, error) {
	seed, err := hkdf.Key(sha256.New, []byte(secret), []byte("crier cluster"), "crier cluster CA key", ed25519.SeedSize)
	if err != nil {
		return nil, nil, err
	}
	key := ed25519.NewKeyFromSeed(seed)
	template := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "crier cluster CA"},
		NotBefore:             time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:              time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, key.Public(), key)
	if err != nil {
		return nil, nil, fmt.Errorf("making the cluster's CA: %w", err)
	}
	ca, err := x509.ParseCertificate(der)
	return ca, key, err
}

// nodeCertificate is a certificate for this run of a node, on a key made
// now and kept only in memory, signed by the cluster's CA.
func nodeCertificate(nodeID string, ca *x509.Certificate, caKey ed25519.PrivateKey, now time.Time) (tls.Certificate, error) {
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return tls.Certificate{}, err
	}
	template := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: nodeID},
		NotBefore:    now.Add(-time.Hour), // the other nodes' clocks may be behind
		NotAfter:     now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, template, ca, pub, caKey)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("making this node's certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}
