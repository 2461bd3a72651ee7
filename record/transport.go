package record

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"io"
	"net"
	"time"

	"github.com/hashicorp/raft"
)

// handshake is how long a new connection between nodes has to prove it
// knows the cluster's secret.
const handshake = 5 * time.Second

// secretLayer is Raft's stream layer over TCP, every connection opening
// with a handshake in which each end proves it holds the cluster's secret
// (HMAC-SHA256 over fresh nonces from both, compared in constant time),
// so that nothing else can join the cluster or write to its log.
type secretLayer struct {
	ln        net.Listener
	advertise net.Addr
	secret    []byte
	accepted  chan net.Conn
	closed    chan struct{}
}

func newSecretLayer(bind string, secret []byte) (*secretLayer, error) {
	ln, err := net.Listen("tcp", bind)
	if err != nil {
		return nil, err
	}
	l := &secretLayer{ln: ln, advertise: ln.Addr(), secret: secret, accepted: make(chan net.Conn), closed: make(chan struct{})}
	go l.acceptLoop()
	return l, nil
}

// acceptLoop takes connections and lets through those that prove the
// secret, each handshake beside the others so a slow one holds up none.
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
			if l.serverHandshake(conn) != nil {
				conn.Close()
				return
			}
			select {
			case l.accepted <- conn:
			case <-l.closed:
				conn.Close()
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
	conn, err := net.DialTimeout("tcp", string(address), timeout)
	if err != nil {
		return nil, err
	}
	if err := l.clientHandshake(conn); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

var errWrongSecret = errors.New("the other node does not hold the cluster's secret")

func (l *secretLayer) proof(role string, first, second []byte) []byte {
	mac := hmac.New(sha256.New, l.secret)
	mac.Write([]byte(role))
	mac.Write(first)
	mac.Write(second)
	return mac.Sum(nil)
}

// serverHandshake: send a nonce; read the dialler's nonce and its proof;
// answer with ours.
func (l *secretLayer) serverHandshake(conn net.Conn) error {
	conn.SetDeadline(time.Now().Add(handshake))
	defer conn.SetDeadline(time.Time{})
	ours := make([]byte, 32)
	rand.Read(ours)
	if _, err := conn.Write(ours); err != nil {
		return err
	}
	msg := make([]byte, 32+sha256.Size)
	if _, err := io.ReadFull(conn, msg); err != nil {
		return err
	}
	theirs, proof := msg[:32], msg[32:]
	if !hmac.Equal(proof, l.proof("dial", ours, theirs)) {
		return errWrongSecret
	}
	_, err := conn.Write(l.proof("accept", theirs, ours))
	return err
}

func (l *secretLayer) clientHandshake(conn net.Conn) error {
	conn.SetDeadline(time.Now().Add(handshake))
	defer conn.SetDeadline(time.Time{})
	theirs := make([]byte, 32)
	if _, err := io.ReadFull(conn, theirs); err != nil {
		return err
	}
	ours := make([]byte, 32)
	rand.Read(ours)
	if _, err := conn.Write(append(ours, l.proof("dial", theirs, ours)...)); err != nil {
		return err
	}
	proof := make([]byte, sha256.Size)
	if _, err := io.ReadFull(conn, proof); err != nil {
		return err
	}
	if !hmac.Equal(proof, l.proof("accept", ours, theirs)) {
		return errWrongSecret
	}
	return nil
}
