/**
 * The native Apache Thrift codec: transports (framed, unframed) kept apart from protocols (binary,
 * compact).
 *
 * <p>Specs: <a href="https://github.com/apache/thrift/blob/master/doc/specs/thrift-rpc.md">Thrift
 * RPC</a>, <a href="https://github.com/apache/thrift/blob/master/doc/specs/thrift-binary-protocol.md">
 * binary protocol</a>, <a href="https://github.com/apache/thrift/blob/master/doc/specs/thrift-compact-protocol.md">
 * compact protocol</a>. Only the message header (name, type, seq id) is parsed; an unframed message's
 * body is skipped to find where it ends, never materialised. Frames are forwarded as their original
 * bytes; a binary-protocol seq id is patched in place.
 */
package io.protean.proxy.codec.thrift;
