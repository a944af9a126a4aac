/**
 * The codec contract: how a protocol plugs into Protean. Native Java codecs (Dubbo, Thrift) and
 * WebAssembly codecs implement the same {@link io.protean.abi.codec.Codec} interface.
 *
 * <p>Modelled on Aeraki MetaProtocol's codec (decode / encode / onError, message types) and MOSN
 * XProtocol (heartbeat reply, protocol match). Buffer ownership is part of every method's contract.
 */
package io.protean.abi.codec;
