/**
 * The native Apache Thrift codec: transports framed and unframed, protocols binary (strict) and
 * compact, detected per connection; TMultiplexedProtocol service names. Transport and protocol are
 * kept apart ({@link io.protean.proxy.codec.thrift.ThriftProtocol}).
 *
 * <p>Specs: <a href="https://github.com/apache/thrift/blob/master/doc/specs/thrift-binary-protocol.md">binary</a>,
 * <a href="https://github.com/apache/thrift/blob/master/doc/specs/thrift-compact-protocol.md">compact</a>.
 */
package io.protean.proxy.codec.thrift;
