package record

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/hashicorp/raft"
)

// handshake is how long a new connection between nodes has to prove it
// belongs to the cluster.
const handshake = 5 * time.Second

// What a connection between nodes carries, in its first byte after the
// handshakes: Raft's own traffic, or HTTP (commands passed on, joins).
const (
	kindRaft byte = 'R'
	kindHTTP byte = 'H'
)

// secretLayer is Raft's stream layer over TCP, and the way in for the
// nodes' HTTP to each other, on the one port (raft_addr). Every connection
// is mutual TLS (nodeTLS), and inside it each end proves it holds the
// cluster's secret (HMAC-SHA256 over fresh nonces from both, compared in
// constant time): with certificate files, a stolen certificate alone is
// not a node.
type secretLayer struct {
	ln        net.Listener
	advertise net.Addr
	secret    []byte
	tls       *tls.Config
	accepted  chan net.Conn // Raft's
	web       chan net.Conn // HTTP's
	closed    chan struct{}
}

func newSecretLayer(bind string, secret []byte, tlsConf *tls.Config) (*secretLayer, error) {
	ln, err := net.Listen("tcp", bind)
	if err != nil {
		return nil, err
	}
	l := &secretLayer{ln: ln, advertise: ln.Addr(), secret: secret, tls: tlsConf,
		accepted: make(chan net.Conn), web: make(chan net.Conn), closed: make(chan struct{})}
	go l.acceptLoop()
	return l, nil
}

// acceptLoop takes connections and lets through those that prove
// themselves, each handshake beside the others so a slow one holds up none.
func (l *secretLayer) acceptLoop() {
	handshaking := make(chan struct{}, 64) // at most this many at once: a flood waits, the node does not fall over
	for {
		conn, err := l.ln.Accept()
		if errors.Is(err, net.ErrClosed) {
			close(l.closed)
			return
		}
		if err != nil { // out of file descriptors, say: wait, and go on listening
			time.Sleep(100 * time.Millisecond)
			continue
		}
		handshaking <- struct{}{}
		go func() {
			defer func() { <-handshaking }()
			tc, kind, err := l.serverHandshake(conn)
			if err != nil {
				conn.Close()
				return
			}
			to := l.accepted
			if kind == kindHTTP {
				to = l.web
			}
			select {
			case to <- tc:
			case <-l.closed:
				tc.Close()
			}
		}()
	}
}

func (l *secretLayer) Accept() (net.Conn, error) {
	select {
	case conn := <-l.accepted:
		return conn, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *secretLayer) Close() error   { return l.ln.Close() }
func (l *secretLayer) Addr() net.Addr { return l.advertise }

func (l *secretLayer) Dial(address raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return l.dial(ctx, string(address), kindRaft)
}

func (l *secretLayer) dial(ctx context.Context, address string, kind byte) (net.Conn, error) {
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", address)
	if err != nil {
		return nil, err
	}
	tc, err := l.clientHandshake(ctx, conn, kind)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return tc, nil
}

// webListener hands the HTTP connections from other nodes to an
// http.Server; it closes with the layer.
type webListener struct{ l *secretLayer }

func (w webListener) Accept() (net.Conn, error) {
	select {
	case conn := <-w.l.web:
		return conn, nil
	case <-w.l.closed:
		return nil, net.ErrClosed
	}
}

func (w webListener) Close() error   { return nil }
func (w webListener) Addr() net.Addr { return w.l.advertise }

// client is an HTTP client to other nodes' raft_addr (https://host:port),
// over the layer's mutual TLS. A failure to connect or to handshake is a
// dial error: the request never left, and may be sent again.
func (l *secretLayer) client() *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		DialTLSContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := l.dial(ctx, addr, kindHTTP)
			if err != nil {
				return nil, &net.OpError{Op: "dial", Net: network, Err: err}
			}
			return conn, nil
		},
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     time.Minute,
	}}
}

var errWrongSecret = errors.New("the other node does not hold the cluster's secret")

func (l *secretLayer) proof(role string, first, second []byte) []byte {
	mac := hmac.New(sha256.New, l.secret)
	mac.Write([]byte(role))
	mac.Write(first)
	mac.Write(second)
	return mac.Sum(nil)
}

// serverHandshake: TLS; then send a nonce; read the dialler's nonce and
// its proof; answer with ours; read what the connection is for.
func (l *secretLayer) serverHandshake(conn net.Conn) (net.Conn, byte, error) {
	conn.SetDeadline(time.Now().Add(handshake))
	defer conn.SetDeadline(time.Time{})
	tc := tls.Server(conn, l.tls)
	if err := tc.Handshake(); err != nil {
		return nil, 0, err
	}
	ours := make([]byte, 32)
	rand.Read(ours)
	if _, err := tc.Write(ours); err != nil {
		return nil, 0, err
	}
	msg := make([]byte, 32+sha256.Size)
	if _, err := io.ReadFull(tc, msg); err != nil {
		return nil, 0, err
	}
	theirs, proof := msg[:32], msg[32:]
	if !hmac.Equal(proof, l.proof("dial", ours, theirs)) {
		return nil, 0, errWrongSecret
	}
	if _, err := tc.Write(l.proof("accept", theirs, ours)); err != nil {
		return nil, 0, err
	}
	kind := make([]byte, 1)
	if _, err := io.ReadFull(tc, kind); err != nil {
		return nil, 0, err
	}
	if kind[0] != kindRaft && kind[0] != kindHTTP {
		return nil, 0, errors.New("a connection for neither Raft nor HTTP")
	}
	return tc, kind[0], nil
}

func (l *secretLayer) clientHandshake(ctx context.Context, conn net.Conn, kind byte) (net.Conn, error) {
	conn.SetDeadline(time.Now().Add(handshake))
	defer conn.SetDeadline(time.Time{})
	tc := tls.Client(conn, l.tls)
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, err
	}
	theirs := make([]byte, 32)
	if _, err := io.ReadFull(tc, theirs); err != nil {
		return nil, err
	}
	ours := make([]byte, 32)
	rand.Read(ours)
	if _, err := tc.Write(append(ours, l.proof("dial", theirs, ours)...)); err != nil {
		return nil, err
	}
	proof := make([]byte, sha256.Size)
	if _, err := io.ReadFull(tc, proof); err != nil {
		return nil, err
	}
	if !hmac.Equal(proof, l.proof("accept", ours, theirs)) {
		return nil, errWrongSecret
	}
	if _, err := tc.Write([]byte{kind}); err != nil {
		return nil, err
	}
	return tc, nil
}
