package protean

import "encoding/binary"

// Block statuses (ABI.md, "decode block" and "output block").
const (
	blockFrame    = 0
	blockNeedMore = 1
	blockError    = 2
	outOK         = 0
	outNoReply    = 1
)

// dispatcher is the state behind the ABI exports: one per instance (a Wasm instance runs one call
// at a time, on one thread).
type dispatcher struct {
	newCodec func(config []byte) (Codec, error)
	codec    Codec
	conns    map[int32]Connection
	input    []byte // guest-owned input buffer, valid until the next input call
	md       Metadata
	block    []byte // the last result block, valid until the next call
}

var d = dispatcher{conns: map[int32]Connection{}}

// SetCodec registers the module's codec constructor; call it from init(). The constructor gets
// the codec's YAML config as JSON.
func SetCodec(newCodec func(config []byte) (Codec, error)) { d.newCodec = newCodec }

// inputBuffer returns a buffer of at least size bytes.
func (d *dispatcher) inputBuffer(size int32) []byte {
	if size < 1 {
		size = 1
	}
	if len(d.input) < int(size) {
		d.input = make([]byte, size)
	}
	return d.input
}

func (d *dispatcher) init(configLen int32) int32 {
	if d.newCodec == nil {
		logMessage(LogError, "no codec registered: call protean.SetCodec from init()")
		return 2
	}
	c, err := d.newCodec(d.slice(0, configLen))
	if err != nil {
		logMessage(LogError, err.Error())
		return 1
	}
	d.codec = c
	return 0
}

// slice is input[offset:offset+n], clamped to the buffer.
func (d *dispatcher) slice(offset, n int32) []byte {
	start, end := clamp(int(offset), len(d.input)), clamp(int(offset)+int(n), len(d.input))
	if end < start {
		end = start
	}
	return d.input[start:end]
}

func clamp(n, max int) int {
	if n < 0 {
		return 0
	}
	if n > max {
		return max
	}
	return n
}

func (d *dispatcher) connection(conn int32) Connection {
	c, ok := d.conns[conn]
	if !ok {
		c = d.codec.NewConnection()
		d.conns[conn] = c
	}
	return c
}

func (d *dispatcher) decode(conn, offset, n int32) []byte {
	if d.codec == nil {
		return d.finish(blockError, "protean_codec_init has not run")
	}
	d.md.reset()
	r := d.connection(conn).Decode(d.slice(offset, n), &d.md)
	b := append(d.block[:0], make([]byte, 12)...)
	switch r.status {
	case statusNeedMore:
		d.block = b
		return d.seal(blockNeedMore, uint32(r.need))
	case statusError:
		d.block = append(b, r.message...)
		return d.seal(blockError, uint32(len(r.message)))
	}
	f := r.frame
	b = append(b, byte(f.Type), f.IDWidth, byte(f.Class), 0)
	b = binary.LittleEndian.AppendUint32(b, f.IDOffset)
	b = binary.LittleEndian.AppendUint64(b, f.RequestID)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(f.Status)))
	b = append(b, f.Status...)
	b = binary.LittleEndian.AppendUint32(b, d.md.count)
	d.block = append(b, d.md.pairs...)
	return d.seal(blockFrame, uint32(f.Consumed))
}

// output runs a call that answers with bytes on the frame at the start of the input buffer,
// followed by extraLen bytes of call-specific input.
func (d *dispatcher) output(conn, frameLen, extraLen int32, call func(c Connection, frame, extra []byte) ([]byte, error)) []byte {
	if d.codec == nil {
		return d.finish(blockError, "protean_codec_init has not run")
	}
	frame := d.slice(0, frameLen)
	extra := d.slice(int32(len(frame)), extraLen)
	data, err := call(d.connection(conn), frame, extra)
	switch {
	case err == ErrNoReply:
		return d.finish(outNoReply, "")
	case err != nil:
		return d.finish(blockError, err.Error())
	}
	d.block = append(append(d.block[:0], make([]byte, 12)...), data...)
	return d.seal(outOK, uint32(len(data)))
}

func (d *dispatcher) finish(status uint32, message string) []byte {
	d.block = append(append(d.block[:0], make([]byte, 12)...), message...)
	return d.seal(status, uint32(len(message)))
}

// seal fills in the block's header: length, status, n.
func (d *dispatcher) seal(status, n uint32) []byte {
	binary.LittleEndian.PutUint32(d.block[0:], uint32(len(d.block)))
	binary.LittleEndian.PutUint32(d.block[4:], status)
	binary.LittleEndian.PutUint32(d.block[8:], n)
	return d.block
}

func (d *dispatcher) encode(conn, frameLen, mutationLen int32) []byte {
	return d.output(conn, frameLen, mutationLen, func(c Connection, frame, block []byte) ([]byte, error) {
		m, err := ParseMutation(block)
		if err != nil {
			return nil, err
		}
		return c.Encode(frame, m)
	})
}

func (d *dispatcher) errorReply(conn, frameLen, errorNumber, messageLen int32) []byte {
	return d.output(conn, frameLen, messageLen, func(c Connection, frame, message []byte) ([]byte, error) {
		return c.ErrorReply(frame, errorType(errorNumber), string(message))
	})
}

func (d *dispatcher) heartbeatReply(conn, frameLen int32) []byte {
	return d.output(conn, frameLen, 0, func(c Connection, frame, _ []byte) ([]byte, error) {
		return c.HeartbeatReply(frame)
	})
}

func (d *dispatcher) connectionClosed(conn int32) { delete(d.conns, conn) }

// healthCheckRequest builds the codec's health-check request from the options at the start of
// the input buffer (no connection: the request belongs to none).
func (d *dispatcher) healthCheckRequest(id uint64, optionsLen int32) []byte {
	h, ok := d.codec.(HealthChecker)
	if !ok {
		return d.finish(blockError, "this codec builds no health-check request")
	}
	data, err := h.HealthCheckRequest(id, d.slice(0, optionsLen))
	if err != nil {
		return d.finish(blockError, err.Error())
	}
	d.block = append(append(d.block[:0], make([]byte, 12)...), data...)
	return d.seal(outOK, uint32(len(data)))
}
