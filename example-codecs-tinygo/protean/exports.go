//go:build wasm

package protean

// The ABI exports. Go's wasmexport (and TinyGo's) takes and returns i32 values; pointers into
// linear memory fit in 32 bits. Go's collector does not move objects, and the dispatcher keeps
// every returned buffer referenced until the next call.

//go:wasmexport protean_codec_abi_v1
func abiV1() {}

//go:wasmexport protean_codec_input
func input(size int32) int32 { return address(d.inputBuffer(size)) }

//go:wasmexport protean_codec_init
func initCodec(configLen int32) int32 { return d.init(configLen) }

//go:wasmexport protean_codec_decode
func decode(conn, offset, n int32) int32 { return address(d.decode(conn, offset, n)) }

//go:wasmexport protean_codec_encode
func encode(conn, frameLen, mutationLen int32) int32 {
	return address(d.encode(conn, frameLen, mutationLen))
}

//go:wasmexport protean_codec_error_reply
func errorReply(conn, frameLen, errorNumber, messageLen int32) int32 {
	return address(d.errorReply(conn, frameLen, errorNumber, messageLen))
}

//go:wasmexport protean_codec_heartbeat_reply
func heartbeatReply(conn, frameLen int32) int32 { return address(d.heartbeatReply(conn, frameLen)) }

//go:wasmexport protean_codec_connection_closed
func connectionClosed(conn int32) { d.connectionClosed(conn) }
